package io.github.vmalock.sim.callers;

import java.util.concurrent.locks.LockSupport;

/**
 * The two ways the cost model spends time while a caller holds a lock: on the CPU (a busy wait,
 * standing for the kernel work the model does not do: zeroing a page, formatting a line, tearing
 * down page tables) and off the CPU (a park, standing for a task preempted or asleep while it holds
 * the lock).
 *
 * <p>The busy wait is calibrated work, not a clock: a dependent chain of integer operations whose
 * rate (iterations per nanosecond) is measured once, when the class loads, after the loop is
 * compiled, as the best of several short trials (a trial the machine interrupted is slower, never
 * faster). {@link #spin} then runs as many iterations as the asked time holds. Spinning on a clock
 * instead would be wrong under oversubscription: a thread descheduled in the middle of its spin
 * would count the time it spent off the CPU as work done, so its lock hold would not grow the way
 * the kernel work it stands for grows when the task is preempted. The park sleeps until its
 * deadline (spurious wake-ups are slept through); the kernel's timers and the JVM's {@code
 * parkNanos} both round short sleeps up by the timer slack (50 us by default on Linux), so an
 * off-CPU time below about 0.1 ms is longer than asked.
 */
public final class CpuWork {
  private CpuWork() {}

  /** Sink of the work's results, so that the compiler cannot drop the chain. */
  private static volatile long sink;

  /** Calibrated rate: iterations of {@link #work} per nanosecond. */
  private static final double ITERATIONS_PER_NANO = calibrate();

  /** A dependent chain of {@code n} xorshift steps: the unit of CPU work. */
  private static long work(long n, long x) {
    for (long i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
    }
    return x;
  }

  private static double calibrate() {
    long x = System.nanoTime() | 1;
    for (int i = 0; i < 200; i++) { // compile work() before timing it
      x = work(20_000, x);
    }
    double best = 0;
    for (int trial = 0; trial < 7; trial++) {
      long n = 200_000;
      long t0 = System.nanoTime();
      x = work(n, x);
      long t = System.nanoTime() - t0;
      best = Math.max(best, (double) n / Math.max(t, 1));
    }
    sink = x;
    return best;
  }

  /**
   * The calibrated speed of the busy wait.
   *
   * @return nanoseconds one iteration of the work loop takes on this machine
   */
  public static double nanosPerIteration() {
    return 1 / ITERATIONS_PER_NANO;
  }

  /**
   * Does {@code nanos} nanoseconds of CPU work, as calibrated when the class loaded. Context: any;
   * holds what the caller holds; never blocks (it may be preempted, and then lasts longer on the
   * wall clock, as kernel work does).
   *
   * @param nanos how long; 0 or less returns at once
   */
  public static void spin(long nanos) {
    if (nanos <= 0) {
      return;
    }
    long x = work((long) (nanos * ITERATIONS_PER_NANO), nanos);
    if (x == 0) {
      sink = x; // practically never: the chain's values are non-zero for a non-zero seed
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
