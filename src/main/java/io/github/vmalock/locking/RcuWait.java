package io.github.vmalock.locking;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A wait slot for exactly one waiting thread, woken by whoever changes the condition: the kernel's
 * {@code struct rcuwait} ({@code include/linux/rcuwait.h}, {@code kernel/exit.c}), used by the mm
 * as {@code mm->vma_writer_wait} (the one mmap-write-lock holder waits there for VMA readers to
 * leave; the last reader wakes it).
 *
 * <p>The condition must read its state with volatile loads (for example {@link
 * Refcount#read(VarHandle, Object)}).
 *
 * <p>Only one thread may wait at a time (the kernel's rcuwait has a single task pointer); a second
 * concurrent waiter gets {@link IllegalStateException}.
 */
public final class RcuWait {
  /*
   * Implementation notes.
   *
   * The waiter publishes itself with a volatile store of task, then evaluates the condition, then
   * parks; a waker first makes the condition true (a volatile read-modify-write on the state the
   * condition reads), then reads task with a volatile load and unparks it. This is the store-buffer
   * pattern: both sides store then load different locations, so both pairs must be sequentially
   * consistent (volatile, not merely release/acquire; the kernel puts smp_mb() in rcuwait_wake_up
   * for the same reason). Then either the waiter's condition check sees the waker's change, or the
   * waker sees the waiter and unparks it; an unpark that comes before the park leaves a permit, so
   * LockSupport.park returns at once. No wake-up is lost. Spurious wake-ups (an unpark meant for an
   * earlier wait, a stale waker) are harmless: the waiter re-evaluates the condition in a loop.
   */

  @SuppressWarnings("UnusedVariable") // accessed through TASK
  private volatile Thread task;

  /** An empty wait slot ({@code rcuwait_init}). */
  public RcuWait() {}

  /**
   * Waits until {@code condition} is true ({@code rcuwait_wait_event}).
   *
   * <p>Context: may block (parks). Returns at once when the condition already holds.
   *
   * @param condition evaluated on entry and after every wake-up; must use volatile reads
   * @param interruptible if true ({@code TASK_KILLABLE}), an interrupt ends the wait and is
   *     reported by returning false with the interrupt status cleared; if false ({@code
   *     TASK_UNINTERRUPTIBLE}) interrupts are remembered and re-asserted on return
   * @return true when the condition held, false only when interrupted (interruptible waits)
   * @throws IllegalStateException if another thread is already waiting in this slot
   */
  public boolean waitEvent(BooleanSupplier condition, boolean interruptible) {
    Thread me = Thread.currentThread();
    if (!TASK.compareAndSet(this, null, me)) {
      throw new IllegalStateException(
          "rcuwait already has a waiter (" + TASK.getVolatile(this) + "), " + me + " cannot wait");
    }
    boolean interrupted = false;
    try {
      for (; ; ) {
        if (condition.getAsBoolean()) {
          return true;
        }
        // As ___rcuwait_wait_event: the condition first, then the pending signal, then sleep.
        if (Thread.interrupted()) {
          if (interruptible) {
            return false;
          }
          interrupted = true;
        }
        LockSupport.park(this);
      }
    } finally {
      TASK.setVolatile(this, null);
      if (interrupted) {
        me.interrupt();
      }
    }
  }

  /**
   * Wakes the waiting thread, if any ({@code rcuwait_wake_up}).
   *
   * <p>Context: never blocks. Call it after making the waiter's condition true with a volatile
   * read-modify-write.
   *
   * @return true if a thread was waiting (it may have been about to return anyway)
   */
  public boolean wakeUp() {
    Thread t = (Thread) TASK.getVolatile(this);
    if (t == null) {
      return false;
    }
    LockSupport.unpark(t);
    return true;
  }

  /**
   * The waiting thread, or null.
   *
   * @return the thread parked (or about to park) in this slot
   */
  public Thread waiter() {
    return (Thread) TASK.getVolatile(this);
  }

  @Override
  public String toString() {
    Thread t = waiter();
    return "RcuWait[" + (t == null ? "empty" : "waiter=" + t.getName()) + "]";
  }

  private static final VarHandle TASK;

  static {
    try {
      TASK = MethodHandles.lookup().findVarHandle(RcuWait.class, "task", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
