package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.variants.RcuVariant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The deterministic probes catch the known-bad variants they are meant to catch (and the faithful
 * domain passes them, see {@link RcuTest}). {@link RcuVariant#RELEASE_PUBLICATION} is a
 * memory-ordering bug no deterministic test can show; the jcstress harnesses catch it.
 */
class RcuVariantTest {

  private static Rcu domain(RcuVariant v) {
    return Rcu.builder().protocol(v.protocol()).reclaimerThread(false).build();
  }

  @Test
  @DisplayName("SYNC_NO_WAIT: synchronize_rcu returns while a pre-existing reader is inside")
  void syncNoWaitCaught() throws InterruptedException {
    try (Rcu rcu = domain(RcuVariant.SYNC_NO_WAIT)) {
      assertThat(RcuTestSupport.synchronizeReturnsInsideSection(rcu)).isTrue();
    }
    try (Rcu rcu = domain(RcuVariant.SYNC_NO_WAIT)) {
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, 1)).isTrue();
    }
  }

  @Test
  @DisplayName("NESTED_UNLOCK_EARLY: the inner rcu_read_unlock ends the outer section")
  void nestedUnlockEarlyCaught() throws InterruptedException {
    try (Rcu rcu = domain(RcuVariant.NESTED_UNLOCK_EARLY)) {
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, 1)).isFalse();
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, 2)).isTrue();
    }
  }

  @Test
  @DisplayName("FAITHFUL passes every probe")
  void faithfulPasses() throws InterruptedException {
    try (Rcu rcu = domain(RcuVariant.FAITHFUL)) {
      assertThat(RcuTestSupport.synchronizeReturnsInsideSection(rcu)).isFalse();
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, 1)).isFalse();
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, 2)).isFalse();
    }
  }
}
