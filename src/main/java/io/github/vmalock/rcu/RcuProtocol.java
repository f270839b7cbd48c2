package io.github.vmalock.rcu;

import java.lang.invoke.VarHandle;

/**
 * The replaceable steps of an RCU domain: the toolkit for trying a read-side or grace-period
 * implementation other than the faithful one. A domain runs {@link #faithful()} unless {@link
 * Rcu.Builder#protocol(RcuProtocol)} names another implementation.
 *
 * <p>Every method has a default that is the faithful step (R2-R4 and G3 of the implementation notes
 * in the source of {@code RcuReaders} and {@code GracePeriods}), written with the primitives of
 * {@link Rcu.Reader}; an implementation overrides the steps it changes. Implementations must be
 * stateless or thread-safe. A domain built with the faithful instance runs its own inline copy of
 * these steps and never calls the interface.
 */
public interface RcuProtocol {

  /**
   * The faithful implementation: a StoreLoad-fenced entry, a release exit on the outermost unlock,
   * grace periods that wait.
   *
   * @return the shared faithful instance (overrides nothing)
   */
  static RcuProtocol faithful() {
    return Rcu.FAITHFUL_PROTOCOL;
  }

  /**
   * Publishes an outermost {@code rcu_read_lock()}: R2 (the reader's word, an opaque store of the
   * epoch read at R1) then R3 ({@code smp_mb()}: later loads of protected data may not pass the
   * store; pairs with the grace period's G2).
   *
   * <p>Called on the reader's owning thread, with the nesting depth still 0. Never blocks.
   *
   * @param r the thread's reader record
   * @param epoch the epoch read at R1
   */
  default void publishEntry(Rcu.Reader r, long epoch) {
    r.publishOpaque(epoch);
    VarHandle.fullFence();
  }

  /**
   * Whether an {@code rcu_read_unlock()} leaving depth {@code depthBefore} ends the read-side
   * critical section (R4, a release store clearing the reader's word). Faithful: only the
   * outermost, {@code depthBefore == 1}.
   *
   * @param depthBefore the nesting depth before this unlock (at least 1)
   * @return true to clear the reader's word
   */
  default boolean unlockEndsSection(int depthBefore) {
    return depthBefore == 1;
  }

  /**
   * Whether a grace period ({@code synchronize_rcu}, {@code call_rcu}'s callbacks) waits for the
   * readers that began before it (G3). Read once, when the domain is built.
   *
   * @return true (the default) to wait
   */
  default boolean gracePeriodWaits() {
    return true;
  }
}
