package io.github.vmalock.locking;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LockTrackerTest {

  @Test
  @DisplayName("per-thread hold counts, release of a lock not held, describe")
  void tracks() throws Exception {
    LockTracker t = new LockTracker("mm#test");
    Object a = "lockA";
    assertThat(t.holdsAny()).isFalse();
    assertThat(t.describe()).contains("no locks held");
    t.acquired(a, "read");
    t.acquired(a, "read");
    t.acquired(this, "write");
    assertThat(t.holdCount(a, "read")).isEqualTo(2);
    assertThat(t.holdCount("read")).isEqualTo(2);
    assertThat(t.holdCount(a, "write")).isZero();
    assertThat(t.describe()).contains("2 locks held").contains("#read x2: lockA");
    int[] other = new int[1];
    Thread th =
        new Thread(() -> other[0] = t.holdCount(a, "read") + (t.released(a, "read") ? 1 : 0));
    th.start();
    th.join();
    assertThat(other[0]).as("another thread holds nothing and releases nothing").isZero();
    assertThat(t.released(a, "read")).isTrue();
    assertThat(t.released(a, "read")).isTrue();
    assertThat(t.released(a, "read")).isFalse();
    assertThat(t.released(this, "write")).isTrue();
    assertThat(t.holdsAny()).isFalse();
  }
}
