package io.github.vmalock.modelcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.RcuVariant;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Model checking of the RCU domain: the kernel's {@code RCU+sync+free} litmus test ({@code
 * Documentation/litmus-tests/rcu/}) with a nested reader. The reader enters a section (and, nested
 * inside it, enters and leaves a second one), loads the published object and reads it twice; the
 * updater replaces the object, calls {@code synchronize()} and then poisons the old object (its
 * "free"). The reader must never see the poison.
 *
 * <p>Lincheck's model checker explores interleavings under sequential consistency, so it catches
 * the variants whose bug is in the protocol ({@link RcuVariant#SYNC_NO_WAIT}, {@link
 * RcuVariant#NESTED_UNLOCK_EARLY}) but not {@link RcuVariant#RELEASE_PUBLICATION}, whose bug is a
 * store-load reordering that sequential consistency forbids: the jcstress harnesses cover it.
 */
@Tag("lincheck")
class RcuVariantModelCheckTest {

  static final int FREED = -1;
  static final int INVOCATIONS = Scale.pick(2_000, 50_000);
  static final int FAITHFUL_INVOCATIONS = Scale.pick(150, 20_000);

  /** One run of the litmus test on a fresh domain without a reclaimer thread. */
  static void syncFreeOnce(RcuVariant variant) {
    Rcu rcu = Rcu.builder().protocol(variant.protocol()).reclaimerThread(false).build();
    AtomicReference<int[]> published = new AtomicReference<>(new int[] {1});
    int[] seen = new int[2];
    Thread reader =
        new Thread(
            () -> {
              rcu.readLock();
              rcu.readLock();
              rcu.readUnlock(); // the nested section ends; the outer one must go on
              int[] p = published.get(); // rcu_dereference
              seen[0] = p[0];
              seen[1] = p[0];
              rcu.readUnlock();
            });
    Thread updater =
        new Thread(
            () -> {
              int[] old = published.getAndSet(new int[] {2}); // rcu_assign_pointer
              rcu.synchronize();
              old[0] = FREED; // kfree(old)
            });
    reader.start();
    updater.start();
    try {
      reader.join();
      updater.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (seen[0] == FREED || seen[1] == FREED) {
      throw new AssertionError(
          "RCU+sync+free: the reader saw the object freed inside its section: "
              + seen[0]
              + ", "
              + seen[1]);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = RcuVariant.class,
      names = {"SYNC_NO_WAIT", "NESTED_UNLOCK_EARLY"})
  @DisplayName("synchronize_rcu vs a nested reader: each protocol-level bad variant caught")
  void badVariantCaught(RcuVariant variant) {
    Throwable caught =
        catchThrowable(() -> Lincheck.runConcurrentTest(INVOCATIONS, () -> syncFreeOnce(variant)));
    assertThat(caught)
        .as("model checking should find an interleaving that breaks %s", variant)
        .isInstanceOf(AssertionError.class);
    System.out.println(
        "=== " + variant + ": caught by model checking ===\n" + Scale.trace(caught.getMessage()));
  }

  @Test
  @DisplayName("synchronize_rcu vs a nested reader: the faithful domain never frees under a reader")
  void faithfulHolds() {
    Lincheck.runConcurrentTest(FAITHFUL_INVOCATIONS, () -> syncFreeOnce(RcuVariant.FAITHFUL));
  }
}
