package io.github.vmalock.jmh.baseline;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.StampedLock;

/**
 * A {@link TreeMap#floorEntry} under a {@link StampedLock} optimistic read, validated, with a read
 * lock retry when a writer intervened: what a Java user would write for a read-mostly range index
 * guarded by one lock. It is {@code VmaLookupBench}'s {@code STAMPED}. Keys are boxed by the
 * caller, once.
 */
public final class StampedTreeMapLookup {
  private final StampedLock lock = new StampedLock();
  private final TreeMap<Long, Range> tree = new TreeMap<>();

  /** An empty index. */
  public StampedTreeMapLookup() {}

  /**
   * Adds a range under the write lock.
   *
   * @param r the range, keyed by its start
   */
  public void add(Range r) {
    long stamp = lock.writeLock();
    try {
      tree.put(r.start, r);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /**
   * Finds the range containing {@code addr} under an optimistic read (a read lock if a writer
   * intervened).
   *
   * @param addr the address, boxed by the caller
   * @return the range's start, or -1 for an address in a gap
   */
  public long lookup(Long addr) {
    long stamp = lock.tryOptimisticRead();
    long start = floor(addr);
    if (!lock.validate(stamp)) {
      stamp = lock.readLock();
      try {
        start = floor(addr);
      } finally {
        lock.unlockRead(stamp);
      }
    }
    return start;
  }

  private long floor(Long addr) {
    Map.Entry<Long, Range> e = tree.floorEntry(addr);
    if (e == null) {
      return -1;
    }
    Range r = e.getValue();
    return addr < r.end ? r.start : -1;
  }
}
