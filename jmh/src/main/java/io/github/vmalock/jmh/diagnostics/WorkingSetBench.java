package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import io.github.vmalock.jmh.VmaLookupBench;
import io.github.vmalock.jmh.baseline.Range;
import io.github.vmalock.maple.MapleTree;
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
 * Why 65,536 VMAs cost more than 4,096 on the fast path: a diagnostic that separates the tree's
 * extra level from the working set. It looks up the same number of distinct VMAs (4,096) in a small
 * and in a large address space, then all 65,536 of the large one:
 *
 * <ul>
 *   <li>{@link Layout#SMALL}: 4,096 VMAs, addresses over all of them ({@link VmaLookupBench} at
 *       size 4,096).
 *   <li>{@link Layout#LARGE_HOT_RUN}: 65,536 VMAs, addresses over VMAs 0 to 4,095 only: the same
 *       4,096 VMAs and their leaves as in {@code SMALL}, under a tree one level taller. What this
 *       adds to {@code SMALL} is the algorithm's growth.
 *   <li>{@link Layout#LARGE_HOT_SPREAD}: 65,536 VMAs, addresses over every 16th VMA: still 4,096
 *       VMA objects, but spread over the whole tree. A leaf holds at most 16 entries and each VMA
 *       takes two (itself and the gap after it), so consecutive visited VMAs, 32 entries apart, lie
 *       in different leaves: 4,096 leaves visited, where {@code LARGE_HOT_RUN}'s 8,192 entries fill
 *       at least 512. What this adds to {@code LARGE_HOT_RUN} is the tree nodes' working set.
 *   <li>{@link Layout#LARGE}: 65,536 VMAs, addresses over all of them ({@link VmaLookupBench} at
 *       size 65,536). What this adds to {@code LARGE_HOT_SPREAD} is the VMA objects' working set
 *       (16 times as many {@code VmArea}s, the leaves the same).
 * </ul>
 *
 * <p>Each layout runs the fast path ({@link Impl#PER_VMA}: {@code lockVmaUnderRcu} + {@code
 * endRead}) and the bare walk it is measured against ({@link Impl#MAPLE_LOAD}: {@code
 * MapleTree.load} over range objects, as in {@link VmaLookupBench}). Compare with {@link
 * MemoryLatencyBench}, which measures what one dependent miss costs at each working-set size.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WorkingSetBench {

  /** Which VMAs exist and which of them the address stream visits. */
  public enum Layout {
    /** 4,096 VMAs, all visited. */
    SMALL(4096, 4096, 1),
    /** 65,536 VMAs, VMAs 0 to 4,095 visited. */
    LARGE_HOT_RUN(65536, 4096, 1),
    /** 65,536 VMAs, every 16th visited (4,096 of them). */
    LARGE_HOT_SPREAD(65536, 4096, 16),
    /** 65,536 VMAs, all visited. */
    LARGE(65536, 65536, 1);

    final int vmas;
    final int visited;
    final int stride;

    Layout(int vmas, int visited, int stride) {
      this.vmas = vmas;
      this.visited = visited;
      this.stride = stride;
    }
  }

  /** What a lookup does. */
  public enum Impl {
    /** {@code lockVmaUnderRcu(addr)} + {@code endRead()}. */
    PER_VMA,
    /** The bare {@code MapleTree.load} of a range object + a read of its start. */
    MAPLE_LOAD
  }

  /** The address space and stream of one layout, built once per trial. */
  @State(Scope.Benchmark)
  public static class Space {
    /** The layout under test. */
    @Param({"SMALL", "LARGE_HOT_RUN", "LARGE_HOT_SPREAD", "LARGE"})
    public Layout layout;

    /** The lookup under test. */
    @Param({"PER_VMA", "MAPLE_LOAD"})
    public Impl impl;

    long[] addrs;
    MmStruct mm;
    MapleTree<Range> maple;

    /** Builds the layout for {@link #impl} and checks every address of the stream through it. */
    @Setup(Level.Trial)
    public void setUp() {
      addrs = MmLayout.addresses(layout.visited, layout.stride, 0);
      switch (impl) {
        case PER_VMA -> mm = MmLayout.populate(layout.vmas, LockMode.PER_VMA);
        case MAPLE_LOAD -> maple = MmLayout.bareMaple(layout.vmas);
      }
      for (long addr : addrs) {
        MmLayout.check(layout + " " + impl, layout.vmas, addr, lookup(addr));
      }
      MmLayout.compact();
    }

    /** The fast path leaked no reference (checked without allocating). */
    @TearDown(Level.Trial)
    public void check() {
      if (mm != null) {
        MmLayout.checkAtRest(mm, layout.vmas);
      }
    }

    long lookup(long addr) {
      if (impl == Impl.MAPLE_LOAD) {
        return maple.load(addr).start;
      }
      VmArea vma = mm.lockVmaUnderRcu(addr);
      long start = vma.start();
      vma.endRead();
      return start;
    }
  }

  /**
   * One lookup of the next address of the layout's stream.
   *
   * @return the found VMA's start (every address of the stream is mapped)
   */
  @Benchmark
  public long lookup(Space space, VmaLookupBench.Cursor cursor) {
    int k = cursor.advance();
    return space.lookup(space.addrs[k]);
  }
}
