package io.github.vmalock.jmh.baseline;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * "Which range contains this index" as a Java user writes it without a range tree: a sorted map
 * keyed by each range's first index, {@code floorEntry} plus a check of the range's last index.
 * {@code MapleTreeBench} measures it over a {@link ConcurrentSkipListMap} (the concurrent choice,
 * {@link #concurrent()}) and a {@link TreeMap} (the single-threaded one, {@link #sorted()}) against
 * {@code MapleTree.load}.
 *
 * <p>A benchmark fork calls {@link #get} on one of the two kinds only, so the map call inside it
 * stays monomorphic in that fork.
 *
 * @param <V> the stored entries
 */
public final class FloorRangeMap<V> {
  /** A stored range: the map key is its first index. */
  private record Entry<V>(long first, long last, V value) {}

  private final NavigableMap<Long, Entry<V>> map;

  private FloorRangeMap(NavigableMap<Long, Entry<V>> map) {
    this.map = map;
  }

  /**
   * Over a {@link ConcurrentSkipListMap}.
   *
   * @param <V> the stored entries
   * @return an empty map
   */
  public static <V> FloorRangeMap<V> concurrent() {
    return new FloorRangeMap<>(new ConcurrentSkipListMap<>());
  }

  /**
   * Over a {@link TreeMap}.
   *
   * @param <V> the stored entries
   * @return an empty map
   */
  public static <V> FloorRangeMap<V> sorted() {
    return new FloorRangeMap<>(new TreeMap<>());
  }

  /**
   * Stores {@code value} for {@code [first, last]}; the ranges must not overlap.
   *
   * @param first first index
   * @param last last index (inclusive)
   * @param value the entry
   */
  public void put(long first, long last, V value) {
    map.put(first, new Entry<>(first, last, value));
  }

  /**
   * The entry of the range containing {@code index}.
   *
   * @param index the index
   * @return its entry, or null in a gap
   */
  public V get(long index) {
    Map.Entry<Long, Entry<V>> e = map.floorEntry(index);
    return e != null && index <= e.getValue().last() ? e.getValue().value() : null;
  }
}
