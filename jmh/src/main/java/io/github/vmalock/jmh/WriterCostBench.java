package io.github.vmalock.jmh;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What per-VMA locks cost the writer, one thread, no reader: a {@code vma_start_write} period
 * ({@code mmapWriteLock} + {@code startWrite} + {@code mmapWriteUnlock}, whose unlock ends the VMA
 * write lock by bumping {@code mm_lock_seq}), and a whole {@code mmap} + {@code munmap} cycle in
 * the far region (tree store and erase, VMA allocation from the cache and free back to it).
 *
 * <p>Run with {@code -prof gc}: the tree copies the nodes on the path it changes, so the bytes per
 * {@code mmap}+{@code munmap} cycle must grow no faster than the tree's height, O(log n), from 64
 * to 65,536 VMAs.
 *
 * <p>The fork runs on a fixed, pre-touched 1 GiB heap ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}):
 * the copy-on-write writer allocates a few KB per store, and on a fresh heap that keeps growing the
 * kernel's first touch of every new page (zeroing it; several microseconds per page on the
 * development VM) was charged to the stores, and dominated them; a long-running process pays it
 * once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class WriterCostBench {

  /** The address space and the VMA the write-lock cycle locks. */
  @State(Scope.Thread)
  public static class Space {
    /** Number of VMAs. */
    @Param({"64", "65536"})
    public int size;

    MmStruct mm;
    VmArea target;

    /** Maps the layout and picks the middle VMA. */
    @Setup(Level.Trial)
    public void setUp() {
      mm = MmLayout.populate(size, LockMode.PER_VMA);
      mm.mmapReadLock();
      try {
        target = mm.vmaLookup(MmLayout.vmaStart(size / 2));
      } finally {
        mm.mmapReadUnlock();
      }
      if (target == null) {
        throw new IllegalStateException("the middle VMA is not mapped");
      }
      MmLayout.compact();
    }

    /** The cycles must leave the layout as they found it. */
    @TearDown(Level.Trial)
    public void check() {
      MmLayout.checkAtRest(mm, size);
      if (mm.mapCount() != size) {
        throw new IllegalStateException("map count " + mm.mapCount() + ", expected " + size);
      }
    }
  }

  /**
   * {@code mmap_write_lock}; {@code vma_start_write} on one VMA; {@code mmap_write_unlock}.
   *
   * @return whether the VMA was write-locked inside the period (always true)
   */
  @Benchmark
  public boolean startWriteCycle(Space space) {
    MmStruct mm = space.mm;
    mm.mmapWriteLock();
    try {
      space.target.startWrite();
      return space.target.isWriteLocked();
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * {@code mmap} of four pages in the far region, then {@code munmap} of them.
   *
   * @return the VMA the {@code mmap} returned (a hint, consumed, never dereferenced)
   */
  @Benchmark
  public VmArea mmapMunmapCycle(Space space) {
    VmArea vma = space.mm.mmap(MmLayout.FAR, MmLayout.FAR_LENGTH, MmLayout.FLAGS);
    space.mm.munmap(MmLayout.FAR, MmLayout.FAR_LENGTH);
    return vma;
  }
}
