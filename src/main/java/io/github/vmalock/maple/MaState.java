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
 *   <li><i>start</i> (fresh, or after {@link #reset}): nothing walked yet; {@code index() ==
 *       last()} is the starting index;
 *   <li><i>active</i>: standing on {@code [index(), last()]};
 *   <li><i>overflow</i>: a forward search ran past its {@code max} or past {@code -1L}; the cursor
 *       stands conceptually just after {@code [index(), last()]}: a further {@link #next}/{@link
 *       #find} with the same bound returns {@code null} again (nothing wraps past {@code -1L}), and
 *       {@link #prev}/{@link #findRev} return the entry at {@code [index(), last()]} if there is
 *       one (as the kernel's {@code ma_overflow});
 *   <li><i>underflow</i>: the mirror image for backward searches ({@code ma_underflow}).
 * </ul>
 *
 * <p>Searches return only non-null entries and skip gaps; the range of a returned entry may stick
 * out of the search bound ({@code find(max)} returns an entry whose range starts at or below {@code
 * max}; {@code findRev(min)} and {@code prev(min)} an entry whose range ends at or above {@code
 * min}). A search that finds nothing returns {@code null} and leaves the cursor on the last range
 * it examined (possibly a gap), as the kernel's {@code mas_next_slot()} does.
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
   * is a gap and the result is {@code null}. Always starts from the current root.
   *
   * @return the entry at {@code index()}, or {@code null} in a gap
   */
  public T walk() {
    T e = descend(index);
    status = Status.ACTIVE;
    return e;
  }

  /**
   * Returns the first entry at or after the cursor whose range starts at or below {@code max}
   * ({@code mas_find()}). From the start state it includes the range containing {@code index()}
   * itself; afterwards it continues after {@code last()}.
   *
   * @param max the highest first index to accept, unsigned
   * @return the entry, or {@code null} (status overflow) if there is none up to {@code max}
   */
  public T find(long max) {
    switch (status) {
      case START:
        if (Long.compareUnsigned(index, max) > 0) {
          status = Status.OVERFLOW;
          return null;
        }
      // fall through: walk, return the entry at index if any
      case UNDERFLOW:
        {
          if (Long.compareUnsigned(index, max) > 0) {
            status = Status.OVERFLOW;
            return null;
          }
          T e = descend(index);
          if (e != null) {
            status = Status.ACTIVE;
            return e;
          }
          return forward(max);
        }
      default:
        return forward(max);
    }
  }

  /**
   * Returns the next entry after the current range whose range starts at or below {@code max}
   * ({@code mas_next()}). From the start state it first walks to {@code index()} and does not
   * return the entry there. After an overflow with the same {@code max}, it keeps returning {@code
   * null}; nothing wraps past {@code -1L}.
   *
   * @param max the highest first index to accept, unsigned
   * @return the entry, or {@code null} (status overflow)
   */
  public T next(long max) {
    switch (status) {
      case START:
        descend(index);
        return forward(max);
      case UNDERFLOW:
        {
          T e = descend(index);
          if (e != null) {
            status = Status.ACTIVE;
            return e;
          }
          return forward(max);
        }
      default:
        return forward(max);
    }
  }

  /**
   * Returns the last entry at or before the cursor whose range ends at or above {@code min} ({@code
   * mas_find_rev()}). From the start state it includes the range containing {@code index()} itself;
   * afterwards it continues before {@code index()}.
   *
   * @param min the lowest last index to accept, unsigned
   * @return the entry, or {@code null} (status underflow) if there is none down to {@code min}
   */
  public T findRev(long min) {
    switch (status) {
      case START:
        if (Long.compareUnsigned(index, min) < 0) {
          status = Status.UNDERFLOW;
          return null;
        }
      // fall through
      case OVERFLOW:
        {
          if (Long.compareUnsigned(last, min) < 0) {
            status = Status.UNDERFLOW;
            return null;
          }
          T e = descend(index);
          if (e != null) {
            status = Status.ACTIVE;
            return e;
          }
          return backward(min);
        }
      default:
        return backward(min);
    }
  }

  /**
   * Returns the previous entry before the current range whose range ends at or above {@code min}
   * ({@code mas_prev()}). From the start state it first walks to {@code index()} and does not
   * return the entry there. After an underflow with the same {@code min}, it keeps returning {@code
   * null}; nothing wraps below 0.
   *
   * @param min the lowest last index to accept, unsigned
   * @return the entry, or {@code null} (status underflow)
   */
  public T prev(long min) {
    switch (status) {
      case START:
        descend(index);
        return backward(min);
      case OVERFLOW:
        {
          T e = descend(index);
          if (e != null) {
            status = Status.ACTIVE;
            return e;
          }
          return backward(min);
        }
      default:
        return backward(min);
    }
  }

  @Override
  public String toString() {
    return "MaState{" + status + " [" + MapleTree.hex(index) + ", " + MapleTree.hex(last) + "]}";
  }

  /** Moves forward over gaps to the next entry starting at or below max. */
  private T forward(long max) {
    while (true) {
      if (last == -1L || Long.compareUnsigned(last, max) >= 0) {
        status = Status.OVERFLOW;
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
  private T backward(long min) {
    while (true) {
      if (index == 0 || Long.compareUnsigned(index, min) <= 0) {
        status = Status.UNDERFLOW;
        return null;
      }
      T e = stepBackward();
      if (e != null) {
        status = Status.ACTIVE;
        return e;
      }
    }
  }

  /** Moves to the range starting at last + 1 (last is not -1L). */
  @SuppressWarnings("unchecked")
  private T stepForward() {
    Node n = node;
    if (n != null && !MapleTree.isDead(n) && offset < n.end) {
      offset++;
      index = last + 1;
      last = offset == n.end ? nodeMax : n.pivots[offset];
      return (T) n.slots[offset];
    }
    return descend(last + 1);
  }

  /** Moves to the range ending at index - 1 (index is not 0). */
  @SuppressWarnings("unchecked")
  private T stepBackward() {
    Node n = node;
    if (n != null && !MapleTree.isDead(n) && offset > 0) {
      offset--;
      last = index - 1;
      index = offset == 0 ? nodeMin : n.pivots[offset - 1] + 1;
      return (T) n.slots[offset];
    }
    return descend(index - 1);
  }

  /** Walks from the current root to the leaf range containing {@code at} and stands on it. */
  @SuppressWarnings("unchecked")
  private T descend(long at) {
    Node n = tree.rootAcquire();
    long min = 0;
    long max = -1L;
    while (true) {
      int i = MapleTree.slotOf(n, at);
      long cmin = i == 0 ? min : n.pivots[i - 1] + 1;
      long cmax = i == n.end ? max : n.pivots[i];
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
