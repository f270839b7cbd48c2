package io.github.vmalock.locking;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RefcountTest {
  static final class Holder {
    int count;
  }

  private static final VarHandle COUNT;

  static {
    try {
      COUNT = MethodHandles.lookup().findVarHandle(Holder.class, "count", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Test
  @DisplayName(
      "__refcount_inc_not_zero_limited_acquire refuses 0 and the limit, reports the old value")
  void limitedIncrement() {
    Holder h = new Holder();
    int old = Refcount.incNotZeroLimitedAcquire(COUNT, h, 3);
    assertThat(old).isZero();
    assertThat(Refcount.admitted(old, 3)).isFalse();
    assertThat(h.count).isZero();

    h.count = 1;
    assertThat(Refcount.admitted(Refcount.incNotZeroLimitedAcquire(COUNT, h, 3), 3)).isTrue();
    assertThat(Refcount.admitted(Refcount.incNotZeroLimitedAcquire(COUNT, h, 3), 3)).isTrue();
    assertThat(h.count).isEqualTo(3);
    old = Refcount.incNotZeroLimitedAcquire(COUNT, h, 3);
    assertThat(old).isEqualTo(3);
    assertThat(Refcount.admitted(old, 3)).isFalse();
    assertThat(h.count).isEqualTo(3);

    h.count = 1 << 30; // a writer's flag: above any limit below it
    assertThat(
            Refcount.admitted(
                Refcount.incNotZeroLimitedAcquire(COUNT, h, (1 << 30) - 1), (1 << 30) - 1))
        .isFalse();
    h.count = -5;
    assertThat(Refcount.admitted(Refcount.incNotZeroLimitedAcquire(COUNT, h, 10), 10)).isFalse();
    assertThat(h.count).isEqualTo(-5);
  }

  @Test
  @DisplayName("refcount_add_not_zero, refcount_sub_and_test, set_release")
  void addSubDecrement() {
    Holder h = new Holder();
    assertThat(Refcount.addNotZero(COUNT, h, 100)).isFalse();
    assertThat(h.count).isZero();
    Refcount.setRelease(COUNT, h, 2);
    assertThat(Refcount.read(COUNT, h)).isEqualTo(2);
    assertThat(Refcount.addNotZero(COUNT, h, 100)).isTrue();
    assertThat(h.count).isEqualTo(102);
    assertThat(Refcount.subReturn(COUNT, h, 100)).isEqualTo(2);
    assertThat(h.count).isEqualTo(2);
  }
}
