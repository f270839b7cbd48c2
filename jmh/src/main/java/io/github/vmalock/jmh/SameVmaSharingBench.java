package io.github.vmalock.jmh;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Readers side by side: does a second reader thread add throughput? Each reader looks up one fixed
 * address of its own VMA again and again, so the tree walk stays in cache and what is left is the
 * lock traffic: with {@link LockMode#PER_VMA}, the VMA's {@code vm_refcnt} (two readers on one VMA
 * bounce its cache line; on different VMAs they share nothing they write); with {@link
 * LockMode#MMAP_LOCK_ONLY}, the one {@code mmap_lock} word every reader writes, whichever VMA it
 * wants.
 *
 * <p>{@link #oneThread} is the single-reader reference; {@link #twoThreads} runs two readers on the
 * same VMA or on different VMAs ({@code sharing}). JMH's average time is per thread: the aggregate
 * throughput is {@code threads / (ns/op)}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SameVmaSharingBench {

  /** Where the readers of {@link #twoThreads} look. */
  public enum Sharing {
    /** Both readers on one VMA: its refcount line bounces between the cores. */
    SAME_VMA,
    /** Each reader on its own VMA, far apart in memory. */
    DIFFERENT_VMAS
  }

  /** The address space. */
  @State(Scope.Benchmark)
  public static class Space {
    /** Number of VMAs. */
    @Param({"4096"})
    public int size;

    /** How the readers lock; the mm is built in this mode. */
    @Param({"PER_VMA", "MMAP_LOCK_ONLY"})
    public LockMode impl;

    MmStruct mm;
    final AtomicInteger threadIndex = new AtomicInteger();

    /** Maps the layout. */
    @Setup(Level.Trial)
    public void setUp() {
      mm = MmLayout.populate(size, impl);
      MmLayout.compact();
    }

    /** The readers leaked no reference (checked without allocating). */
    @TearDown(Level.Trial)
    public void check() {
      MmLayout.checkAtRest(mm, size);
    }

    /**
     * The address reader number {@code index} uses: inside VMA {@code size/4} or {@code 3*size/4}
     * (allocated far apart, so their refcounts never share a cache line), or VMA {@code size/2} for
     * everyone when {@code shared}.
     */
    long addressFor(int index, boolean shared) {
      int vma = shared ? size / 2 : (index % 2 == 0 ? size / 4 : 3 * size / 4);
      return MmLayout.vmaStart(vma) + MmLayout.PAGE + 0x123;
    }

    /** One lookup as the mode's reader does it: the found VMA's start, or -1. */
    long read(long addr) {
      if (impl == LockMode.PER_VMA) {
        VmArea vma = mm.lockVmaUnderRcu(addr);
        if (vma != null) {
          long start = vma.start();
          vma.endRead();
          return start;
        }
      }
      mm.mmapReadLock();
      try {
        return MmLayout.startOf(mm.vmaLookup(addr));
      } finally {
        mm.mmapReadUnlock();
      }
    }
  }

  /** How the two readers of {@link #twoThreads} share. */
  @State(Scope.Benchmark)
  public static class Pairing {
    /** Same VMA or different VMAs. */
    @Param({"SAME_VMA", "DIFFERENT_VMAS"})
    public Sharing sharing;
  }

  /** The lone reader's address. */
  @State(Scope.Thread)
  public static class SoloReader {
    long addr;

    /** Takes reader 0's address and checks it. */
    @Setup(Level.Trial)
    public void setUp(Space space) {
      addr = space.addressFor(0, false);
      MmLayout.check("reader", space.size, addr, space.read(addr));
    }
  }

  /** One of the two readers' address. */
  @State(Scope.Thread)
  public static class PairReader {
    long addr;

    /** Takes the next reader index's address and checks it. */
    @Setup(Level.Trial)
    public void setUp(Space space, Pairing pairing) {
      addr =
          space.addressFor(
              space.threadIndex.getAndIncrement(), pairing.sharing == Sharing.SAME_VMA);
      MmLayout.check("reader", space.size, addr, space.read(addr));
    }
  }

  /**
   * One reader alone.
   *
   * @return the found VMA's start
   */
  @Benchmark
  @Threads(1)
  public long oneThread(Space space, SoloReader reader) {
    return space.read(reader.addr);
  }

  /**
   * Two readers at once, on one VMA or on two.
   *
   * @return the found VMA's start
   */
  @Benchmark
  @Threads(2)
  public long twoThreads(Space space, PairReader reader) {
    return space.read(reader.addr);
  }
}
