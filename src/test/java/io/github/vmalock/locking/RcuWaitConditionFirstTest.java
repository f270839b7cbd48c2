package io.github.vmalock.locking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code ___rcuwait_wait_event} ({@code include/linux/rcuwait.h}) tests the condition before {@code
 * signal_pending_state} on every pass: a waiter woken with the condition true and a signal pending
 * returns success (the signal stays pending).
 */
class RcuWaitConditionFirstTest {
  @Test
  @DisplayName("woken with the condition true and an interrupt pending: condition wins")
  void conditionBeforeInterrupt() throws Exception {
    RcuWait w = new RcuWait();
    AtomicBoolean cond = new AtomicBoolean();
    AtomicInteger result = new AtomicInteger(-1);
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread t =
        new Thread(
            () -> {
              result.set(w.waitEvent(cond::get, true) ? 1 : 0);
              stillInterrupted.set(Thread.currentThread().isInterrupted());
            },
            "rcuwait-waiter");
    t.start();
    RcuWaitTest.awaitWaiting(t);
    cond.set(true);
    t.interrupt();
    t.join(RcuWaitTest.TIMEOUT_MS);
    assertThat(t.isAlive()).isFalse();
    assertThat(result).hasValue(1);
    assertThat(stillInterrupted).isTrue();
  }

  @Test
  @DisplayName("interrupt pending on entry, condition false: interruptible wait reports it")
  void pendingInterruptConditionFalse() {
    RcuWait w = new RcuWait();
    Thread.currentThread().interrupt();
    assertThat(w.waitEvent(() -> false, true)).isFalse();
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(w.waiter()).isNull();
  }
}
