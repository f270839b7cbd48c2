package io.github.vmalock.rcu;

/**
 * The RCU implementation a domain runs: the faithful one, or a known-bad variant that the jcstress
 * harnesses and unit tests must catch.
 *
 * <p>A variant is chosen with {@link Rcu.Builder#variant(RcuVariant)}, or, for a domain built
 * without an explicit variant, by the system property {@code vmalock.variant} when it names one of
 * these constants (any other value, such as an mm {@code ProtocolVariant} name, is ignored here).
 * The faithful path pays nothing for the variants: they run in a separate reader class that is
 * never loaded unless a variant domain is built.
 */
public enum RcuVariant {
  /** The real protocol: a StoreLoad-fenced entry, a release exit, grace periods that wait. */
  FAITHFUL,
  /**
   * The reader publishes "I am inside" with a release store and no StoreLoad fence, so its later
   * loads of protected data may be satisfied before the updater can see the reader (the
   * store-buffer / Dekker failure). Models an {@code rcu_read_lock()} without {@code smp_mb()} in a
   * userspace RCU flavour that needs one.
   *
   * <p>Caught by the jcstress harness {@code RcuSBPollState} only: a memory-ordering bug that no
   * deterministic test can show, and a rare outcome on x86 (the store must still sit in the
   * reader's store buffer when the updater scans).
   */
  RELEASE_PUBLICATION,
  /**
   * {@code synchronize()} advances the grace-period counter but does not wait for readers: a {@code
   * synchronize_rcu()} that returns at once.
   *
   * <p>Caught by the unit test {@code RcuVariantTest.syncNoWaitCaught} (deterministic) and the
   * jcstress harnesses {@code RcuSyncRead}, {@code RcuSyncReadNested}, {@code RcuSBPollState} and
   * (less often) {@code RcuSyncFree}.
   */
  SYNC_NO_WAIT,
  /**
   * Every {@code unlock()} ends the read-side critical section, including the inner one of a nest,
   * so a grace period may end while the outer section is still running.
   *
   * <p>Caught by the unit test {@code RcuVariantTest.nestedUnlockEarlyCaught} (deterministic) and
   * the jcstress harness {@code RcuSyncReadNested}.
   */
  NESTED_UNLOCK_EARLY;

  /** The system property naming a variant for domains built without one. */
  public static final String PROPERTY = "vmalock.variant";

  /**
   * The variant named by the system property {@value #PROPERTY}, or {@link #FAITHFUL} when the
   * property is unset or names no constant of this enum (it may name another package's variant).
   *
   * @return the variant to use for a domain built without an explicit one
   */
  public static RcuVariant fromSystemProperty() {
    String name = System.getProperty(PROPERTY);
    if (name == null) {
      return FAITHFUL;
    }
    for (RcuVariant v : values()) {
      if (v.name().equals(name.trim())) {
        return v;
      }
    }
    return FAITHFUL;
  }
}
