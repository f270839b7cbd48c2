package io.github.vmalock.jmh;

import io.github.vmalock.jmh.baseline.FloorRangeMap;
import io.github.vmalock.maple.MapleTree;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The range index's lookup ({@code mtree_load()}) against what a Java user would otherwise use for
 * "which range contains this index": {@link ConcurrentSkipListMap#floorEntry} (the concurrent
 * choice) and {@link TreeMap#floorEntry} (the single-threaded one), over the same {@code size}
 * ranges, on the same random indices; and the cost of a {@code storeRange} (copy-on-write path copy
 * plus publication) at that size.
 *
 * <p>Range {@code k} is {@code [16k, 16k + 9]}; the 6 indices after it are a gap, so about 5/8 of
 * the lookups hit. Lookups cycle through 4096 precomputed random indices in {@code [0, 16 * size)},
 * the same sequence for every implementation. Every benchmark returns its result.
 *
 * <p>The fork runs on a fixed, pre-touched 1 GiB heap ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}):
 * the copy-on-write writer allocates a few KB per store, and on a fresh heap that keeps growing the
 * kernel's first touch of every new page (zeroing it; several microseconds per page on the
 * development VM) was charged to the stores, and dominated them; a long-running process pays it
 * once.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class MapleTreeBench {

  private static final long STRIDE = 16;
  private static final long LENGTH = 10;
  private static final int INDICES = 4096;

  /** Number of stored ranges. */
  @Param({"64", "4096", "65536"})
  public int size;

  private MapleTree<Object> maple;
  private FloorRangeMap<Object> cslm;
  private FloorRangeMap<Object> treeMap;
  private long[] indices;
  private int pos;
  private Object[] entries;
  private Object[] alternates;

  /** Builds the three structures over the same ranges and the shared random index sequence. */
  @Setup
  public void setup() {
    maple = new MapleTree<>();
    cslm = FloorRangeMap.concurrent();
    treeMap = FloorRangeMap.sorted();
    entries = new Object[size];
    alternates = new Object[size];
    for (int k = 0; k < size; k++) {
      long first = k * STRIDE;
      long last = first + LENGTH - 1;
      entries[k] = "range-" + k;
      alternates[k] = "alt-" + k;
      maple.storeRange(first, last, entries[k]);
      cslm.put(first, last, entries[k]);
      treeMap.put(first, last, entries[k]);
    }
    SplittableRandom rnd = new SplittableRandom(0x5eedL);
    indices = new long[INDICES];
    for (int i = 0; i < INDICES; i++) {
      indices[i] = rnd.nextLong(size * STRIDE);
    }
    maple.validate();
  }

  private long nextIndex() {
    return indices[pos++ & (INDICES - 1)];
  }

  /** {@code MapleTree.load}: lock-free, allocation-free lookup ({@code mtree_load()}). */
  @Benchmark
  public Object mapleLoad() {
    return maple.load(nextIndex());
  }

  /** The concurrent baseline: {@code ConcurrentSkipListMap.floorEntry} plus the range check. */
  @Benchmark
  public Object cslmFloorEntry() {
    return cslm.get(nextIndex());
  }

  /** The single-threaded baseline: {@code TreeMap.floorEntry} plus the range check. */
  @Benchmark
  public Object treeMapFloorEntry() {
    return treeMap.get(nextIndex());
  }

  /**
   * {@code MapleTree.storeRange} replacing one whole range with another entry (the size stays
   * constant): one copy-on-write path copy and one release publication per operation.
   */
  @Benchmark
  public MapleTree<Object> mapleStoreRange() {
    int k = (int) (nextIndex() / STRIDE);
    long first = k * STRIDE;
    Object[] source = (pos & INDICES) == 0 ? alternates : entries;
    maple.storeRange(first, first + LENGTH - 1, source[k]);
    return maple;
  }

  /**
   * {@code MapleTree.storeRange} splitting a range in three and merging it back (two stores per
   * operation, the shape of an {@code mprotect()} of part of a VMA and its undo).
   */
  @Benchmark
  public MapleTree<Object> mapleStoreRangeSplitMerge() {
    int k = (int) (nextIndex() / STRIDE);
    long first = k * STRIDE;
    maple.storeRange(first + 3, first + 5, alternates[k]);
    maple.storeRange(first, first + LENGTH - 1, entries[k]);
    return maple;
  }
}
