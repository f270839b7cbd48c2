package io.github.vmalock.jmh.baseline;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The obvious concurrent Java alternative to {@code lock_vma_under_rcu()}: a lock-free index
 * ({@link ConcurrentSkipListMap#floorEntry}) and a refcount on the found range (an atomic increment
 * and decrement, the two read-modify-writes the per-VMA fast path does on {@code vm_refcnt}). It is
 * {@code VmaLookupBench}'s {@code CSLM}. Keys are boxed by the caller, once, so that a lookup is
 * not charged an allocation a careful user would avoid.
 */
public final class SkipListLookup {
  private final ConcurrentSkipListMap<Long, Range> map = new ConcurrentSkipListMap<>();

  /** An empty index. */
  public SkipListLookup() {}

  /**
   * Adds a range.
   *
   * @param r the range, keyed by its start
   */
  public void add(Range r) {
    map.put(r.start, r);
  }

  /**
   * Finds the range containing {@code addr}, takes and drops a reference on it, and returns its
   * start read in between.
   *
   * @param addr the address, boxed by the caller
   * @return the range's start, or -1 for an address in a gap
   */
  public long lookup(Long addr) {
    Map.Entry<Long, Range> e = map.floorEntry(addr);
    if (e == null) {
      return -1;
    }
    Range r = e.getValue();
    if (addr >= r.end) {
      return -1;
    }
    r.incrementAndGet();
    long start = r.start;
    r.decrementAndGet();
    return start;
  }
}
