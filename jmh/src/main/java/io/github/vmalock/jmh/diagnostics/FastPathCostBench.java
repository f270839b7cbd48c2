package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import io.github.vmalock.jmh.VmaLookupBench;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.lang.invoke.VarHandle;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where the fast path's time goes as the address space grows: a diagnostic that takes {@link
 * VmaLookupBench}'s {@code PER_VMA} lookup apart, one ingredient at a time, at 4,096 VMAs (tree and
 * VMAs in the caches) and 65,536 VMAs (not), over the same random address stream.
 *
 * <ul>
 *   <li>{@link Step#LOAD}: the bare {@code MapleTree.load} of a small range object plus a read of
 *       its start ({@code VmaLookupBench}'s {@code MAPLE_LOAD}).
 *   <li>{@link Step#LOAD_FENCE}: the same, then one full fence ({@code VarHandle.fullFence()}, a
 *       locked instruction on x86, as the RCU reader's announcement is). It writes nothing shared.
 *   <li>{@link Step#LOAD_REFCOUNT}: the same load, then an atomic increment and decrement on the
 *       found object (the two read-modify-writes the fast path does on {@code vm_refcnt}).
 *   <li>{@link Step#VMA_LOAD}: a bare load from a maple tree holding the mm's own {@code VmArea}
 *       objects, plus a read of the VMA's start: the same walk, landing on the objects the fast
 *       path locks, where they lie in the heap.
 *   <li>{@link Step#PER_VMA}: {@code lockVmaUnderRcu} + {@code endRead}, the fast path.
 * </ul>
 *
 * <p>If a step's cost grows with the size much faster than {@code LOAD}'s, the ingredient it adds
 * is what the size makes expensive. The locked instructions matter beyond their own few
 * nanoseconds: an x86 locked instruction drains the store buffer and keeps later loads from passing
 * it, so the next lookup's cache misses can no longer overlap this lookup's, which the bare load's
 * independent lookups do freely.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FastPathCostBench {

  /** The ingredient a lookup adds on top of the bare tree walk. */
  public enum Step {
    /** Bare {@code MapleTree.load} + read of the found range's start. */
    LOAD,
    /** {@link #LOAD}, then one full fence. */
    LOAD_FENCE,
    /** {@link #LOAD}, then an atomic increment and decrement on the found range. */
    LOAD_REFCOUNT,
    /** Bare load from a tree of the mm's own {@code VmArea} objects + read of the VMA's start. */
    VMA_LOAD,
    /** {@code lockVmaUnderRcu} + {@code endRead}. */
    PER_VMA
  }

  /** A range whose found value is its own refcount, as in {@link VmaLookupBench}. */
  static final class Range extends AtomicInteger {
    private static final long serialVersionUID = 1L;

    final long start;

    Range(long start) {
      super(1);
      this.start = start;
    }
  }

  /** The structures of one size, built once per trial. */
  @State(Scope.Benchmark)
  public static class Space {
    /** Number of VMAs. */
    @Param({"4096", "65536"})
    public int size;

    /** The ingredient under test. */
    @Param({"LOAD", "LOAD_FENCE", "LOAD_REFCOUNT", "VMA_LOAD", "PER_VMA"})
    public Step step;

    long[] addrs;
    MmStruct mm;
    MapleTree<Range> ranges;
    MapleTree<VmArea> vmas;

    /** Builds what {@link #step} needs and checks every address of the stream through it. */
    @Setup(Level.Trial)
    public void setUp() {
      addrs = MmLayout.addresses(size, 0);
      switch (step) {
        case LOAD, LOAD_FENCE, LOAD_REFCOUNT -> {
          ranges = new MapleTree<>();
          for (int i = 0; i < size; i++) {
            long start = MmLayout.vmaStart(i);
            ranges.storeRange(start, start + MmLayout.VMA_LENGTH - 1, new Range(start));
          }
        }
        case VMA_LOAD -> {
          mm = MmLayout.populate(size, LockMode.PER_VMA);
          vmas = new MapleTree<>();
          mm.mmapReadLock();
          try {
            for (int i = 0; i < size; i++) {
              VmArea vma = mm.vmaLookup(MmLayout.vmaStart(i));
              vmas.storeRange(vma.start(), vma.end() - 1, vma);
            }
          } finally {
            mm.mmapReadUnlock();
          }
        }
        case PER_VMA -> mm = MmLayout.populate(size, LockMode.PER_VMA);
      }
      for (int k = 0; k < addrs.length; k++) {
        MmLayout.check(step.name(), size, addrs[k], lookup(addrs[k]));
      }
      MmLayout.compact();
    }

    /** The fast path leaked no reference (checked without allocating). */
    @TearDown(Level.Trial)
    public void check() {
      if (mm != null) {
        MmLayout.checkAtRest(mm, size);
      }
    }

    /**
     * One lookup of {@code addr} through {@link #step}: the found start (every address is mapped).
     */
    long lookup(long addr) {
      switch (step) {
        case LOAD:
          return ranges.load(addr).start;
        case LOAD_FENCE:
          {
            Range r = ranges.load(addr);
            VarHandle.fullFence();
            return r.start;
          }
        case LOAD_REFCOUNT:
          {
            Range r = ranges.load(addr);
            r.incrementAndGet();
            long start = r.start;
            r.decrementAndGet();
            return start;
          }
        case VMA_LOAD:
          return vmas.load(addr).start();
        case PER_VMA:
          {
            VmArea vma = mm.lockVmaUnderRcu(addr);
            long start = vma.start();
            vma.endRead();
            return start;
          }
      }
      throw new AssertionError(step);
    }
  }

  /**
   * One lookup through the selected step ({@link VmaLookupBench}'s cursor over the same stream).
   *
   * @return the found VMA's start
   */
  @Benchmark
  public long lookup(Space space, VmaLookupBench.Cursor cursor) {
    int k = cursor.advance();
    return space.lookup(space.addrs[k]);
  }
}
