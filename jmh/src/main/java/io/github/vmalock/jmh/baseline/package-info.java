/**
 * What a Java user would use instead of the model's structures, as the benchmarks in {@code
 * io.github.vmalock.jmh} measure them: the {@code CSLM} and {@code STAMPED} implementations of
 * {@code VmaLookupBench} ({@link io.github.vmalock.jmh.baseline.SkipListLookup}, {@link
 * io.github.vmalock.jmh.baseline.StampedTreeMapLookup}) and the floor-entry maps of {@code
 * MapleTreeBench} ({@link io.github.vmalock.jmh.baseline.FloorRangeMap}).
 *
 * <p>These are not benchmarks: each benchmark selects one of them by a parameter, so that the model
 * and its baseline run on the same addresses in the same fork configuration. Each class keeps the
 * exact work of the baseline it names (the same boxing, the same refcount pair), so the baseline's
 * numbers in {@code docs/results/jmh/RESULTS.md} are the numbers of this code.
 */
package io.github.vmalock.jmh.baseline;
