package io.github.vmalock.rcu;

import java.time.Duration;

/**
 * Receives RCU stall reports, the model of the kernel's RCU CPU stall warnings ({@code
 * rcu_check_gp_kthread_starvation()}, {@code print_other_cpu_stall()} in {@code
 * kernel/rcu/tree_stall.h}).
 *
 * <p>A report is made when a grace period has waited at least the domain's stall timeout for one
 * reader (then again after each further timeout while it keeps waiting), and once when a thread is
 * found to have died inside a read-side critical section (its section is then treated as ended, so
 * it cannot block grace periods forever). The listener is called on the thread that runs the grace
 * period, with no RCU lock held; it must not block for long and must not call {@link
 * Rcu#synchronize()} on the same domain. What it throws is logged and ignored.
 */
@FunctionalInterface
public interface RcuStallListener {
  /**
   * Called for each stall report.
   *
   * @param reader the thread holding up the grace period (possibly no longer alive)
   * @param waited how long the grace period has waited so far
   * @param readerDied true when {@code reader} terminated inside a read-side critical section; the
   *     domain then treats the section as ended and the grace period goes on
   */
  void onStall(Thread reader, Duration waited, boolean readerDied);
}
