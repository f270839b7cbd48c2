package io.github.vmalock.examples;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.testkit.ProtocolModelCheck;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The model-checking half of "check your own protocol": {@link ProtocolModelCheck} on the user's v1
 * example passes, and on the two broken copies of {@link CheckYourProtocolTest} fails with an
 * interleaving. (The faithful protocol is model-checked by {@code ProtocolVariantModelCheckTest}.)
 * Tagged {@code lincheck}: it runs in the lincheck test execution.
 */
@Tag("lincheck")
class CheckYourProtocolModelCheckTest {
  private static final int INVOCATIONS = 200;

  @Test
  @DisplayName("the v1 lock_vma_under_rcu_wait example passes model checking")
  void v1Passes() {
    ProtocolModelCheck.check(new V1LockVmaUnderRcuWait(), INVOCATIONS);
  }

  @Test
  @DisplayName(
      "a copy returning a stale pointer (no read reference) is caught with an interleaving")
  void stalePointerCaught() {
    assertThatThrownBy(
            () ->
                ProtocolModelCheck.check(
                    new CheckYourProtocolTest.ReturnsStalePointer(),
                    ProtocolModelCheck.Scenario.START_READ_UNLOCKED_VS_MPROTECT,
                    INVOCATIONS))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("START_READ_UNLOCKED_VS_MPROTECT")
        .hasMessageContaining("without a read reference");
  }

  @Test
  @DisplayName("a copy returning with the mmap lock held is caught")
  void holdingMmapLockCaught() {
    assertThatThrownBy(
            () ->
                ProtocolModelCheck.check(
                    new CheckYourProtocolTest.ReturnsHoldingMmapLock(),
                    ProtocolModelCheck.Scenario.START_READ_UNLOCKED_VS_MPROTECT,
                    INVOCATIONS))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("START_READ_UNLOCKED_VS_MPROTECT");
  }
}
