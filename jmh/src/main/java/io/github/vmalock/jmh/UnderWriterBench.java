package io.github.vmalock.jmh;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * The series' headline: a page fault no longer waits for an unrelated address-space change. One
 * reader thread looks up random addresses of the layout (as {@link VmaLookupBench}) while one
 * writer thread loops {@code mmap} + {@code munmap} in the far region, which shares no VMA with the
 * reader (these machines have two cores, so one of each).
 *
 * <p>With {@link LockMode#PER_VMA} the reader takes the fast path ({@code lockVmaUnderRcu} + {@code
 * endRead}) and falls back, as the fault handler does, to {@code mmap_lock} only when the fast path
 * returns null; with {@link LockMode#MMAP_LOCK_ONLY} (an mm built that way) it takes {@code
 * mmapReadLock} + {@code vmaLookup} + {@code mmapReadUnlock} and so waits for every {@code mmap}
 * and {@code munmap} of the writer, each of which holds the mmap write lock.
 *
 * <p>JMH reports the group and each method: the reader's ns/op is the number to compare with {@link
 * VmaLookupBench}'s {@code lookup} at the same size (the reader without a writer). The reader
 * counts its fallbacks to {@code mmap_lock}, and the trial's teardown fails the run if any lookup
 * found the wrong VMA.
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
public class UnderWriterBench {

  /** The shared address space: the reader's VMAs and the writer's far region. */
  @State(Scope.Group)
  public static class Space {
    /** Number of VMAs the reader looks up in. */
    @Param({"4096"})
    public int size;

    /** How the reader finds its VMA; the mm is built in this mode. */
    @Param({"PER_VMA", "MMAP_LOCK_ONLY"})
    public LockMode impl;

    MmStruct mm;
    long[] addrs;

    /** Maps the layout and checks that the far region is free. */
    @Setup(Level.Trial)
    public void setUp() {
      mm = MmLayout.populate(size, impl);
      addrs = MmLayout.addresses(size, 0);
      mm.mmapReadLock();
      try {
        if (mm.vmaLookup(MmLayout.FAR) != null) {
          throw new IllegalStateException("the writer's far region is mapped");
        }
      } finally {
        mm.mmapReadUnlock();
      }
      MmLayout.compact();
    }

    /** The reader and the writer leaked no reference and left the layout as they found it. */
    @TearDown(Level.Trial)
    public void check() {
      MmLayout.checkAtRest(mm, size);
      if (mm.mapCount() != size) {
        throw new IllegalStateException("map count " + mm.mapCount() + ", expected " + size);
      }
    }
  }

  /**
   * The reader's position in the address stream, and its count of fast-path failures that fell back
   * to {@code mmap_lock} (reported per iteration as {@code fallbacks}; with {@code MMAP_LOCK_ONLY}
   * every lookup counts).
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Reader {
    /** Lookups this iteration that took {@code mmap_lock}. */
    public long fallbacks;

    int next;
    long wrong;

    /** Counters are per iteration. */
    @Setup(Level.Iteration)
    public void reset() {
      fallbacks = 0;
    }

    /** Fails the trial when any lookup found the wrong VMA. */
    @TearDown(Level.Trial)
    public void check() {
      if (wrong != 0) {
        throw new IllegalStateException(wrong + " lookups found the wrong VMA");
      }
    }
  }

  /**
   * The reader: one lookup, as {@link VmaLookupBench}'s {@code PER_VMA} or {@code MMAP_LOCK_ONLY}.
   *
   * @return the found VMA's start
   */
  @Benchmark
  @Group("underWriter")
  @GroupThreads(1)
  public long reader(Space space, Reader reader) {
    int k = reader.next;
    reader.next = MmLayout.nextAddress(k);
    long addr = space.addrs[k];
    MmStruct mm = space.mm;
    long start;
    VmArea vma = space.impl == LockMode.PER_VMA ? mm.lockVmaUnderRcu(addr) : null;
    if (vma != null) {
      start = vma.start();
      vma.endRead();
    } else {
      // The fault handler's fallback (and the only path without per-VMA locks).
      reader.fallbacks++;
      mm.mmapReadLock();
      try {
        start = MmLayout.startOf(mm.vmaLookup(addr));
      } finally {
        mm.mmapReadUnlock();
      }
    }
    if (start != addr - (addr - MmLayout.BASE) % MmLayout.STRIDE) {
      reader.wrong++;
    }
    return start;
  }

  /**
   * The writer: maps and unmaps four pages in the far region (each call takes the mmap write lock,
   * as the syscalls do).
   *
   * @return the VMA the {@code mmap} returned (a hint, consumed, never dereferenced)
   */
  @Benchmark
  @Group("underWriter")
  @GroupThreads(1)
  public VmArea writer(Space space) {
    VmArea vma = space.mm.mmap(MmLayout.FAR, MmLayout.FAR_LENGTH, MmLayout.FLAGS);
    space.mm.munmap(MmLayout.FAR, MmLayout.FAR_LENGTH);
    return vma;
  }
}
