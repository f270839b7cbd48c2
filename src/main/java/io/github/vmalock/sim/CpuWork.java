package io.github.vmalock.sim;

import java.util.concurrent.locks.LockSupport;

/**
 * The two ways the cost model spends time while a caller holds a lock: on the CPU (a busy wait,
 * standing for the kernel work the model does not do: zeroing a page, formatting a line, tearing
 * down page tables) and off the CPU (a park, standing for a task preempted or asleep while it holds
 * the lock).
 *
 * <p>The busy wait is calibrated by the clock itself: it spins on {@link System#nanoTime()} until
 * the deadline, so it lasts the asked time of wall clock (at least; one clock read, about 20-30 ns
 * on Linux x86, past it) whatever the CPU's speed, and it stays on the CPU, where the scheduler can
 * preempt it as it would preempt the kernel work it stands for. The park sleeps until its deadline
 * (spurious wake-ups are slept through); the kernel's timers and the JVM's {@code parkNanos} both
 * round short sleeps up by the timer slack (50 us by default on Linux), so an off-CPU time below
 * about 0.1 ms is longer than asked.
 */
public final class CpuWork {
  private CpuWork() {}

  /**
   * Busy-waits for {@code nanos} nanoseconds of wall clock. Context: any; holds what the caller
   * holds; never blocks (it may be preempted).
   *
   * @param nanos how long; 0 or less returns at once
   */
  public static void spin(long nanos) {
    if (nanos <= 0) {
      return;
    }
    long deadline = System.nanoTime() + nanos;
    while (System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
  }

  /**
   * Sleeps off the CPU for {@code nanos} nanoseconds, ignoring interrupts until the deadline (then
   * restoring the interrupt status). Context: may block; holds what the caller holds.
   *
   * @param nanos how long; 0 or less returns at once
   */
  public static void park(long nanos) {
    if (nanos <= 0) {
      return;
    }
    long deadline = System.nanoTime() + nanos;
    boolean interrupted = false;
    for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
