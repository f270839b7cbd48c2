package io.github.vmalock.maple;

import io.github.vmalock.maple.MapleTree.Node;

/**
 * A cursor over a {@link MapleTree}, the kernel's {@code struct ma_state} with the {@code mas_*}
 * read operations. Create one with {@link MapleTree#state(long)}.
 *
 * <p>A cursor belongs to one thread and is not thread-safe. It needs no lock: every operation reads
 * a complete version of the tree, as a kernel walker under {@code rcu_read_lock()} does, and the
 * caller decides what consistency it needs (the mm re-checks what it finds). Between calls the
 * cursor keeps the leaf it stands on; if a writer has since replaced that leaf (marked it dead),
 * the next call restarts from the root at the cursor's position ({@code mas_dead_node()}), so a
 * cursor never keeps walking a stale version across calls once it can see the newer one.
 *
 * <p>Position and status. {@link #index()} and {@link #last()} are the bounds of the range the
 * cursor stands on: the entry just returned, or a gap. The status is one of:
 *
 * <ul>
 *   <li><i>start</i> (fresh, or after {@link #reset}/{@link #setRange}): nothing walked yet;
 *   <li><i>active</i>: standing on {@code [index(), last()]};
 *   <li><i>overflow</i> ({@code ma_overflow}): a forward move found nothing up to its bound; the
 *       cursor stands on the last range it examined, or on {@code [-1L, -1L]} if it ran off the
 *       end. {@link #next} with the same bound keeps returning {@code null} (nothing wraps past
 *       {@code -1L}); {@link #prev} and {@link #findRev} first return the entry at the cursor's
 *       range, if any, since the cursor conceptually stands just past it;
 *   <li><i>underflow</i> ({@code ma_underflow}): the mirror image for backward moves ({@code [0,
 *       0]} after running off the start).
 * </ul>
 *
 * <p>Searches return only non-null entries and skip gaps; the range of a returned entry may stick
 * out of the search bound ({@code find(max)} and {@code next(max)} return an entry whose range
 * starts at or below {@code max}; {@code findRev(min)} and {@code prev(min)} an entry whose range
 * ends at or above {@code min}). Writes through {@link #store} go through the tree's writer path.
 *
 * @param <T> the tree's entry type
 */
public final class MaState<T> {

  private enum Status {
    START,
    ACTIVE,
    OVERFLOW,
    UNDERFLOW
  }

  private final MapleTree<T> tree;
  private long index;
  private long last;
  private Status status;
  private Node node;
  private long nodeMin;
  private long nodeMax;
  private int offset;

  MaState(MapleTree<T> tree, long index) {
    this.tree = tree;
    reset(index);
  }

  /**
   * Puts the cursor back in the start state at {@code index} ({@code mas_set()}), forgetting its
   * node.
   *
   * @param index the new starting index, unsigned
   */
  public void reset(long index) {
    this.index = index;
    this.last = index;
    this.status = Status.START;
    this.node = null;
  }

  /**
   * The first index of the current range ({@code mas->index}): of the entry just returned, or of
   * the gap after a {@link #walk} that returned {@code null}; the starting index in the start
   * state.
   *
   * @return the first index, unsigned
   */
  public long index() {
    return index;
  }

  /**
   * The last index of the current range ({@code mas->last}); see {@link #index()}.
   *
   * @return the last index, unsigned
   */
  public long last() {
    return last;
  }

  /**
   * Walks from the root to the range containing {@link #index()} and returns its entry ({@code
   * mas_walk()}). Afterwards {@code index()}/{@code last()} are that range's bounds, also when it
   * is a gap and the result is {@code null}. Always starts from the current root. Needs no lock,
   * never blocks, never retries.
   *
   * @return the entry at {@code index()}, or {@code null} in a gap
   */
  public T walk() {
    T e = descend(index);
    status = Status.ACTIVE;
    return e;
  }

  /**
   * Puts the cursor in the start state on the range {@code [first, last]} ({@code
   * mas_set_range()}), for a following {@link #walk} (which walks {@code first}) or {@link #store}.
   *
   * @param first first index, unsigned
   * @param last last index, unsigned, {@code >= first}
   * @throws IllegalArgumentException if {@code first > last} (unsigned); the cursor is unchanged
   */
  public void setRange(long first, long last) {
    if (Long.compareUnsigned(first, last) > 0) {
      throw new IllegalArgumentException(
          "first > last: first=" + MapleTree.hex(first) + ", last=" + MapleTree.hex(last));
    }
    reset(first);
    this.last = last;
  }

  /**
   * Stores {@code entry} over {@code [index(), last()]} ({@code mas_store_gfp()}), exactly as
   * {@link MapleTree#storeRange} (same locking: the tree's own lock is taken, or the external lock
   * must be held), and leaves the cursor active on that range, so that a following {@link #next} or
   * {@link #find} continues after {@code last()}.
   *
   * @param entry the entry, or {@code null} to erase
   * @throws IllegalStateException if the tree uses an external lock that the caller does not hold;
   *     the tree and the cursor are unchanged
   */
  public void store(T entry) {
    tree.storeRange(index, last, entry);
    status = Status.ACTIVE;
    node = null; // the leaf was replaced; the next step walks from the root
  }

  /**
   * Returns the first entry at or after the cursor whose range starts at or below {@code max}
   * ({@code mas_find()}). From the start state it includes the range containing {@code index()}
   * itself; afterwards it continues after {@code last()}. When the current range already reaches
   * {@code max}, it returns {@code null} and stays active, so that a later {@code find} with a
   * larger bound continues after {@code last()} (the kernel's {@code mas_find()} ignores the
   * overflow). When the cursor stands on a range lying wholly above {@code max} (after a {@link
   * #next} with a larger bound), it returns {@code null} with status overflow, and a later {@code
   * find} with a larger bound returns that range's entry ({@code ma_overflow} in {@code
   * mas_find_setup()}). Needs no lock and never blocks; if the cursor's node was replaced since the
   * last call, it re-walks from the root first.
   *
   * @param max the highest first index to accept, unsigned
   * @return the entry, or {@code null} if there is none up to {@code max}
   */
  public T find(long max) {
    switch (status) {
      case START:
      case UNDERFLOW:
        return rewalkThenForward(max, true);
      case OVERFLOW:
        if (Long.compareUnsigned(last, max) >= 0) {
          return null;
        }
        return rewalkThenForward(max, true);
      default:
        return forward(max, true);
    }
  }

  /**
   * Returns the next entry after the current range whose range starts at or below {@code max}
   * ({@code mas_next()}). From the start state it first walks to {@code index()} and does not
   * return the entry there. When there is none, it returns {@code null} with status overflow; with
   * the same {@code max} it keeps returning {@code null}, and nothing wraps past {@code -1L}: a
   * cursor that ran off the end stands on {@code [-1L, -1L]}. Needs no lock and never blocks.
   *
   * @param max the highest first index to accept, unsigned
   * @return the entry, or {@code null} (status overflow)
   */
  public T next(long max) {
    switch (status) {
      case START:
        descend(index);
        return forward(max, false);
      case UNDERFLOW:
        return rewalkThenForward(max, false);
      default:
        return forward(max, false);
    }
  }

  /**
   * Returns the last entry at or before the cursor whose range ends at or above {@code min} ({@code
   * mas_find_rev()}). From the start state it includes the range containing {@code index()} itself;
   * afterwards it continues before {@code index()}. The mirror image of {@link #find}.
   *
   * @param min the lowest last index to accept, unsigned
   * @return the entry, or {@code null} if there is none down to {@code min}
   */
  public T findRev(long min) {
    switch (status) {
      case START:
      case OVERFLOW:
        return rewalkThenBackward(min, true);
      case UNDERFLOW:
        if (Long.compareUnsigned(index, min) <= 0) {
          return null;
        }
        return rewalkThenBackward(min, true);
      default:
        return backward(min, true);
    }
  }

  /**
   * Returns the previous entry before the current range whose range ends at or above {@code min}
   * ({@code mas_prev()}). From the start state it first walks to {@code index()} and does not
   * return the entry there; after an overflow it returns the entry at the cursor's range if there
   * is one (the cursor stood just past it). When there is none, it returns {@code null} with status
   * underflow; nothing wraps below 0: a cursor that ran off the start stands on {@code [0, 0]}.
   * Needs no lock and never blocks.
   *
   * @param min the lowest last index to accept, unsigned
   * @return the entry, or {@code null} (status underflow)
   */
  public T prev(long min) {
    switch (status) {
      case START:
        descend(index);
        return backward(min, false);
      case OVERFLOW:
        return rewalkThenBackward(min, false);
      default:
        return backward(min, false);
    }
  }

  @Override
  public String toString() {
    return "MaState{" + status + " [" + MapleTree.hex(index) + ", " + MapleTree.hex(last) + "]}";
  }

  private T rewalkThenForward(long max, boolean isFind) {
    if (Long.compareUnsigned(index, max) > 0) {
      status = Status.OVERFLOW;
      return null;
    }
    T e = descend(index);
    if (e != null) {
      status = Status.ACTIVE;
      return e;
    }
    return forward(max, isFind);
  }

  private T rewalkThenBackward(long min, boolean isFindRev) {
    if (Long.compareUnsigned(last, min) < 0) {
      status = Status.UNDERFLOW;
      return null;
    }
    T e = descend(index);
    if (e != null) {
      status = Status.ACTIVE;
      return e;
    }
    return backward(min, isFindRev);
  }

  /** Moves forward over gaps to the next entry starting at or below max. */
  private T forward(long max, boolean isFind) {
    while (true) {
      if (node == null || MapleTree.isDead(node)) {
        // mas_rewalk_if_dead(): re-find the position in the current version; a range there that
        // now reaches back over the position counts as passed, so the cursor never goes back.
        descend(last);
      }
      if (Long.compareUnsigned(index, max) > 0) {
        status = Status.OVERFLOW; // standing on a range above the bound, not consumed
        return null;
      }
      if (last == -1L) {
        index = -1L; // ran off the end: stand on [-1L, -1L]
        status = Status.OVERFLOW;
        return null;
      }
      if (Long.compareUnsigned(last, max) >= 0) {
        status = isFind ? Status.ACTIVE : Status.OVERFLOW;
        return null;
      }
      T e = stepForward();
      if (e != null) {
        status = Status.ACTIVE;
        return e;
      }
    }
  }

  /** Moves backward over gaps to the previous entry ending at or above min. */
  private T backward(long min, boolean isFindRev) {
    while (true) {
      if (node == null || MapleTree.isDead(node)) {
        descend(index);
      }
      if (Long.compareUnsigned(last, min) < 0) {
        status = Status.UNDERFLOW; // standing on a range below the bound, not consumed
        return null;
      }
      if (index == 0) {
        last = 0; // ran off the start: stand on [0, 0]
        status = Status.UNDERFLOW;
        return null;
      }
      if (Long.compareUnsigned(index, min) <= 0) {
        status = isFindRev ? Status.ACTIVE : Status.UNDERFLOW;
        return null;
      }
      T e = stepBackward();
      if (e != null) {
        status = Status.ACTIVE;
        return e;
      }
    }
  }

  /**
   * Moves to the range after the current one, on a live node (last is not -1L). Returns its entry;
   * returns null also when a concurrent write made that range reach back over the old position (it
   * counts as passed, as after a re-walk).
   */
  @SuppressWarnings("unchecked")
  private T stepForward() {
    Node n = node;
    long oldLast = last;
    if (offset < n.end) {
      offset++;
      index = oldLast + 1;
      last = offset == n.end ? nodeMax : n.pivot(offset);
      return (T) n.slots[offset];
    }
    T e = descend(oldLast + 1);
    return Long.compareUnsigned(index, oldLast) <= 0 ? null : e;
  }

  /** The mirror image of {@link #stepForward} (index is not 0). */
  @SuppressWarnings("unchecked")
  private T stepBackward() {
    Node n = node;
    long oldIndex = index;
    if (offset > 0) {
      offset--;
      last = oldIndex - 1;
      index = offset == 0 ? nodeMin : n.pivot(offset - 1) + 1;
      return (T) n.slots[offset];
    }
    T e = descend(oldIndex - 1);
    return Long.compareUnsigned(last, oldIndex) >= 0 ? null : e;
  }

  /** Walks from the current root to the leaf range containing {@code at} and stands on it. */
  @SuppressWarnings("unchecked")
  private T descend(long at) {
    Node n = tree.rootAcquire();
    long min = 0;
    long max = -1L;
    while (true) {
      int i = MapleTree.slotOf(n, at);
      long cmin = i == 0 ? min : n.pivot(i - 1) + 1;
      long cmax = i == n.end ? max : n.pivot(i);
      if (n.leaf) {
        node = n;
        nodeMin = min;
        nodeMax = max;
        offset = i;
        index = cmin;
        last = cmax;
        return (T) n.slots[i];
      }
      n = (Node) n.slots[i];
      min = cmin;
      max = cmax;
    }
  }
}
