package io.github.vmalock.variants;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.rcu.RcuProtocol;

/**
 * The RCU implementations the harnesses and unit tests run: the faithful one, and known-bad ones
 * they must catch. Each constant's {@link #protocol()} is an {@link RcuProtocol} overriding the one
 * step it breaks; pass it to {@link Rcu.Builder#protocol(RcuProtocol)}.
 *
 * <p>The library never reads the system property {@value #PROPERTY}; harnesses call {@link
 * #fromSystemProperty()} and pass the result to the builder.
 */
public enum RcuVariant {
  /** The real protocol: a StoreLoad-fenced entry, a release exit, grace periods that wait. */
  FAITHFUL(RcuProtocol.faithful()),
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
  RELEASE_PUBLICATION(
      new Bad("ReleasePublication") {
        @Override
        public void publishEntry(Rcu.Reader r, long epoch) {
          r.publishRelease(epoch); // BUG: no StoreLoad; later loads may pass this store
        }
      }),
  /**
   * {@code synchronize()} advances the grace-period counter but does not wait for readers: a {@code
   * synchronize_rcu()} that returns at once.
   *
   * <p>Caught by the unit test {@code RcuVariantTest.syncNoWaitCaught} (deterministic) and the
   * jcstress harnesses {@code RcuSyncRead}, {@code RcuSyncReadNested}, {@code RcuSBPollState} and
   * (less often) {@code RcuSyncFree}.
   */
  SYNC_NO_WAIT(
      new Bad("SyncNoWait") {
        @Override
        public boolean gracePeriodWaits() {
          return false;
        }
      }),
  /**
   * Every {@code unlock()} ends the read-side critical section, including the inner one of a nest,
   * so a grace period may end while the outer section is still running.
   *
   * <p>Caught by the unit test {@code RcuVariantTest.nestedUnlockEarlyCaught} (deterministic) and
   * the jcstress harness {@code RcuSyncReadNested}.
   */
  NESTED_UNLOCK_EARLY(
      new Bad("NestedUnlockEarly") {
        @Override
        public boolean unlockEndsSection(int depthBefore) {
          return true; // BUG: ends the outer section too
        }
      });

  /** The system property naming a variant for harnesses: {@code vmalock.variant}. */
  public static final String PROPERTY = "vmalock.variant";

  private final RcuProtocol protocol;

  RcuVariant(RcuProtocol protocol) {
    this.protocol = protocol;
  }

  /**
   * This variant's implementation of the seam.
   *
   * @return the protocol ({@link RcuProtocol#faithful()} for {@link #FAITHFUL})
   */
  public RcuProtocol protocol() {
    return protocol;
  }

  /**
   * The variant named by the system property {@value #PROPERTY}, or {@link #FAITHFUL} when the
   * property is unset or names no constant of this enum (it may name a {@link ProtocolVariant}).
   *
   * @return the variant to use
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

  private abstract static class Bad implements RcuProtocol {
    private final String name;

    Bad(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
