package io.github.vmalock.maple;

import java.util.Map;
import java.util.TreeMap;

/**
 * The reference model of the differential tests: a {@link TreeMap} of disjoint inclusive ranges
 * keyed by their first index, compared unsigned. Simple and obviously right, O(n) where it must.
 */
final class RangeModel<T> {

  /** One stored range. */
  record Range<T>(long first, long last, T entry) {}

  final TreeMap<Long, Range<T>> map = new TreeMap<>(Long::compareUnsigned);

  static boolean le(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0;
  }

  T load(long index) {
    Map.Entry<Long, Range<T>> e = map.floorEntry(index);
    return e != null && le(index, e.getValue().last()) ? e.getValue().entry() : null;
  }

  /** The stored range containing index, or null. */
  Range<T> rangeAt(long index) {
    Map.Entry<Long, Range<T>> e = map.floorEntry(index);
    return e != null && le(index, e.getValue().last()) ? e.getValue() : null;
  }

  void store(long first, long last, T entry) {
    Range<T> head = rangeAt(first);
    if (head != null && head.first() != first) {
      map.put(head.first(), new Range<>(head.first(), first - 1, head.entry()));
      map.put(first, new Range<>(first, head.last(), head.entry()));
    }
    Range<T> tail = rangeAt(last);
    if (tail != null && tail.last() != last) {
      map.put(tail.first(), new Range<>(tail.first(), last, tail.entry()));
      map.put(last + 1, new Range<>(last + 1, tail.last(), tail.entry()));
    }
    map.subMap(first, true, last, true).clear();
    if (entry != null) {
      map.put(first, new Range<>(first, last, entry));
    }
  }

  boolean anyIn(long first, long last) {
    return firstFrom(first, last) != null;
  }

  /** First range intersecting [from, max] (start at or below max), or null. */
  Range<T> firstFrom(long from, long max) {
    Range<T> at = rangeAt(from);
    if (at != null) {
      return at;
    }
    Map.Entry<Long, Range<T>> e = map.higherEntry(from);
    return e != null && le(e.getKey(), max) ? e.getValue() : null;
  }

  /** Last range intersecting [min, from] (end at or above min), or null. */
  Range<T> lastFrom(long from, long min) {
    Map.Entry<Long, Range<T>> e = map.floorEntry(from);
    return e != null && le(min, e.getValue().last()) ? e.getValue() : null;
  }

  /** Lowest start of a free run of size inside [min, max], or null. Linear. */
  Long emptyArea(long min, long max, long size) {
    long cursor = min;
    for (Range<T> r : map.values()) {
      if (Long.compareUnsigned(r.last(), min) < 0) {
        continue;
      }
      if (Long.compareUnsigned(r.first(), max) > 0) {
        break;
      }
      if (Long.compareUnsigned(r.first(), cursor) > 0) {
        long end = Long.compareUnsigned(r.first() - 1, max) < 0 ? r.first() - 1 : max;
        if (Long.compareUnsigned(end - cursor, size - 1) >= 0) {
          return cursor;
        }
      }
      if (r.last() == -1L) {
        return null;
      }
      if (Long.compareUnsigned(r.last() + 1, cursor) > 0) {
        cursor = r.last() + 1;
      }
      if (Long.compareUnsigned(cursor, max) > 0) {
        return null;
      }
    }
    return Long.compareUnsigned(max - cursor, size - 1) >= 0 ? cursor : null;
  }

  /** Highest start of a free run of size inside [min, max], or null. Linear. */
  Long emptyAreaRev(long min, long max, long size) {
    long cursor = max;
    for (Range<T> r : map.descendingMap().values()) {
      if (Long.compareUnsigned(r.first(), max) > 0) {
        continue;
      }
      if (Long.compareUnsigned(r.last(), min) < 0) {
        break;
      }
      if (Long.compareUnsigned(r.last(), cursor) < 0) {
        long start = Long.compareUnsigned(r.last() + 1, min) > 0 ? r.last() + 1 : min;
        if (Long.compareUnsigned(cursor - start, size - 1) >= 0) {
          return cursor - (size - 1);
        }
      }
      if (r.first() == 0) {
        return null;
      }
      if (Long.compareUnsigned(r.first() - 1, cursor) < 0) {
        cursor = r.first() - 1;
      }
      if (Long.compareUnsigned(cursor, min) < 0) {
        return null;
      }
    }
    return Long.compareUnsigned(cursor - min, size - 1) >= 0 ? cursor - (size - 1) : null;
  }
}
