package io.github.vmalock.locking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RcuWaitTest {
  static final long TIMEOUT_MS = TimeUnit.SECONDS.toMillis(30);

  static void awaitWaiting(Thread t) throws InterruptedException {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (t.getState() != Thread.State.WAITING) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("thread never parked: " + t + " state " + t.getState());
      }
      Thread.sleep(1);
    }
  }

  @Test
  @DisplayName("rcuwait_wait_event returns at once when the condition holds")
  void conditionAlreadyTrue() {
    RcuWait w = new RcuWait();
    assertThat(w.waitEvent(() -> true, false)).isTrue();
    assertThat(w.waiter()).isNull();
    assertThat(w.wakeUp()).isFalse();
  }

  @Test
  @DisplayName("rcuwait_wake_up after the condition changes releases the parked waiter")
  void wakeUpReleasesWaiter() throws Exception {
    RcuWait w = new RcuWait();
    AtomicInteger state = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    Thread t =
        new Thread(
            () -> {
              w.waitEvent(() -> state.get() == 1, false);
              done.set(true);
            });
    t.start();
    awaitWaiting(t);
    assertThat(w.waiter()).isSameAs(t);
    // a wake-up without a condition change: the waiter parks again (spurious wake-up tolerated)
    w.wakeUp();
    awaitWaiting(t);
    assertThat(done).isFalse();
    assertThatThrownBy(() -> w.waitEvent(() -> true, false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already has a waiter");
    state.set(1);
    assertThat(w.wakeUp()).isTrue();
    t.join(TIMEOUT_MS);
    assertThat(done).isTrue();
    assertThat(w.waiter()).isNull();
  }

  @Test
  @DisplayName("many wake-ups racing the condition: none is lost (repeat)")
  void noLostWakeUp() throws Exception {
    for (int round = 0; round < 200; round++) {
      RcuWait w = new RcuWait();
      AtomicInteger readers = new AtomicInteger(2);
      Thread[] rs = new Thread[2];
      for (int i = 0; i < 2; i++) {
        rs[i] =
            new Thread(
                () -> {
                  readers.decrementAndGet();
                  w.wakeUp();
                });
      }
      Thread waiter = new Thread(() -> w.waitEvent(() -> readers.get() == 0, false));
      waiter.start();
      for (Thread r : rs) {
        r.start();
      }
      waiter.join(TIMEOUT_MS);
      assertThat(waiter.isAlive()).as("waiter lost its wake-up in round %d", round).isFalse();
    }
  }

  @Test
  @DisplayName("killable wait: an interrupt ends it with false; uninterruptible keeps waiting")
  void interrupts() throws Exception {
    RcuWait w = new RcuWait();
    AtomicBoolean result = new AtomicBoolean(true);
    Thread t = new Thread(() -> result.set(w.waitEvent(() -> false, true)));
    t.start();
    awaitWaiting(t);
    t.interrupt();
    t.join(TIMEOUT_MS);
    assertThat(result).isFalse();

    AtomicBoolean flag = new AtomicBoolean();
    AtomicBoolean interruptedAfter = new AtomicBoolean();
    Thread u =
        new Thread(
            () -> {
              w.waitEvent(flag::get, false);
              interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
    u.start();
    awaitWaiting(u);
    u.interrupt();
    awaitWaiting(u);
    assertThat(u.isAlive()).isTrue();
    flag.set(true);
    w.wakeUp();
    u.join(TIMEOUT_MS);
    assertThat(u.isAlive()).isFalse();
    assertThat(interruptedAfter).as("interrupt re-asserted").isTrue();
  }
}
