package io.github.vmalock.locking;

import java.lang.invoke.VarHandle;

/**
 * Reference count helpers on an {@code int} field reached through a {@link VarHandle}: the kernel's
 * {@code refcount_t} operations the per-VMA lock uses ({@code include/linux/refcount.h}).
 *
 * <p>The count lives in the caller's object (as {@code vm_refcnt} lives inside {@code
 * vm_area_struct}); the caller passes its own {@code static final} handle, so that once these small
 * methods are inlined the handle is a constant again.
 *
 * <p>Context: every method is lock-free and never blocks.
 */
public final class Refcount {
  /*
   * Implementation notes.
   *
   *   - incNotZeroLimitedAcquire (__refcount_inc_not_zero_limited_acquire) is a compare-and-
   *     exchange loop with acquire ordering on success: the caller's later loads (of the object's
   *     fields, of a sequence count) cannot move before the increment. It pairs with the release
   *     store that published the count (setRelease, refcount_set_release in vma_mark_attached) and
   *     with the decrement in subReturn (volatile, so at least release).
   *   - Decrements and flag additions are volatile (sequentially consistent) read-modify-writes.
   *     The decrement must be: a reader that drops a reference and then looks for a waiting writer
   *     (RcuWait.wakeUp()) and a writer that publishes itself as the waiter and then reads the
   *     count form a store-buffer (Dekker) pattern, which release/acquire alone does not order.
   *     With both sides volatile, at least one sees the other: no lost wake-up.
   */

  private Refcount() {}

  /**
   * Increments the count unless it is 0 or the result would exceed {@code limit}, with acquire
   * ordering on success ({@code __refcount_inc_not_zero_limited_acquire}).
   *
   * @param handle a VarHandle for an {@code int} field of {@code holder}
   * @param holder the object holding the count
   * @param limit the largest value the count may reach
   * @return the value before the attempt; the increment happened iff {@link #admitted(int, int)}
   *     holds for it
   */
  public static int incNotZeroLimitedAcquire(VarHandle handle, Object holder, int limit) {
    int c = (int) handle.getOpaque(holder);
    for (; ; ) {
      if (!admitted(c, limit)) {
        return c;
      }
      int witness = (int) handle.compareAndExchangeAcquire(holder, c, c + 1);
      if (witness == c) {
        return c;
      }
      c = witness;
    }
  }

  /**
   * Whether {@link #incNotZeroLimitedAcquire} admitted a caller that saw {@code old}: the count was
   * neither 0 nor at or above {@code limit} (negative values, a corrupted count, are refused).
   *
   * @param old the value returned by {@link #incNotZeroLimitedAcquire}
   * @param limit the limit passed to it
   * @return true if the increment happened
   */
  public static boolean admitted(int old, int limit) {
    return old > 0 && old < limit;
  }

  /**
   * Adds {@code delta} unless the count is 0 ({@code refcount_add_not_zero}); volatile.
   *
   * @param handle a VarHandle for an {@code int} field of {@code holder}
   * @param holder the object holding the count
   * @param delta the amount to add
   * @return false if the count was 0 (nothing added)
   */
  public static boolean addNotZero(VarHandle handle, Object holder, int delta) {
    int c = (int) handle.getVolatile(holder);
    for (; ; ) {
      if (c == 0) {
        return false;
      }
      int witness = (int) handle.compareAndExchange(holder, c, c + delta);
      if (witness == c) {
        return true;
      }
      c = witness;
    }
  }

  /**
   * Subtracts {@code delta} and reports whether the count reached 0 ({@code
   * refcount_sub_and_test}); volatile.
   *
   * @param handle a VarHandle for an {@code int} field of {@code holder}
   * @param holder the object holding the count
   * @param delta the amount to subtract
   * @return the value after the subtraction
   */
  public static int subReturn(VarHandle handle, Object holder, int delta) {
    return (int) handle.getAndAdd(holder, -delta) - delta;
  }

  /**
   * Publishes {@code value} with release ordering ({@code refcount_set_release}).
   *
   * @param handle a VarHandle for an {@code int} field of {@code holder}
   * @param holder the object holding the count
   * @param value the new count
   */
  public static void setRelease(VarHandle handle, Object holder, int value) {
    handle.setRelease(holder, value);
  }

  /**
   * Reads the count with volatile ordering ({@code refcount_read}; volatile so that it can serve as
   * an {@link RcuWait} condition).
   *
   * @param handle a VarHandle for an {@code int} field of {@code holder}
   * @param holder the object holding the count
   * @return the current count
   */
  public static int read(VarHandle handle, Object holder) {
    return (int) handle.getVolatile(holder);
  }
}
