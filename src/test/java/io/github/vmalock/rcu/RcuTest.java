package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.variants.RcuVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RcuTest {

  private static Rcu faithful(boolean reclaimerThread) {
    return Rcu.builder()
        .protocol(RcuVariant.FAITHFUL.protocol())
        .reclaimerThread(reclaimerThread)
        .build();
  }

  @Test
  @DisplayName("rcu_read_lock nests; the outermost rcu_read_unlock ends the section")
  void nesting() {
    try (Rcu rcu = faithful(false)) {
      assertThat(rcu.isReadLocked()).isFalse();
      rcu.readLock();
      rcu.readLock();
      rcu.reader().lock();
      assertThat(rcu.isReadLocked()).isTrue();
      rcu.reader().unlock();
      rcu.readUnlock();
      assertThat(rcu.isReadLocked()).isTrue();
      assertThat(rcu.reader().isLocked()).isTrue();
      rcu.readUnlock();
      assertThat(rcu.isReadLocked()).isFalse();
      assertThat(rcu.reader().isLocked()).isFalse();
    }
  }

  @Test
  @DisplayName("rcu_read_unlock without rcu_read_lock throws and leaves the state intact")
  void unbalancedUnlock() {
    try (Rcu rcu = faithful(false)) {
      assertThatThrownBy(rcu::readUnlock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("without a matching readLock()");
      assertThatThrownBy(() -> rcu.reader().unlock()).isInstanceOf(IllegalStateException.class);
      rcu.readLock();
      rcu.readUnlock();
      assertThatThrownBy(rcu::readUnlock).isInstanceOf(IllegalStateException.class);
      assertThat(rcu.isReadLocked()).isFalse();
      rcu.synchronize(); // no stale section left behind
    }
  }

  @Test
  @DisplayName("synchronize_rcu inside rcu_read_lock throws (it would deadlock)")
  void synchronizeInsideSection() {
    try (Rcu rcu = faithful(true)) {
      rcu.readLock();
      assertThatThrownBy(rcu::synchronize)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("inside a read-side critical section");
      assertThatThrownBy(rcu::barrier).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(rcu::close).isInstanceOf(IllegalStateException.class);
      assertThat(rcu.isReadLocked()).isTrue();
      rcu.readUnlock();
      rcu.synchronize();
    }
  }

  @Test
  @DisplayName("the reader handle is the thread's record and is thread-confined")
  void readerHandleConfined() throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      Rcu.Reader r = rcu.reader();
      assertThat(rcu.reader()).isSameAs(r);
      assertThat(r.domain()).isSameAs(rcu);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread t = new Thread(() -> thrown.set(catchThrowable(r::lock)));
      t.start();
      t.join();
      assertThat(thrown.get())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("thread-confined");
      assertThat(r.isLocked()).isFalse();
    }
  }

  private static Throwable catchThrowable(Runnable r) {
    try {
      r.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  @DisplayName("poll_state_synchronize_rcu is false while a (nested) pre-existing reader is inside")
  void pollStateWaitsForNestedReader(int depth) throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      assertThat(RcuTestSupport.pollEndsGracePeriodInsideSection(rcu, depth)).isFalse();
    }
  }

  @Test
  @DisplayName("synchronize_rcu does not return while a pre-existing reader is inside")
  void synchronizeWaitsForReader() throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      assertThat(RcuTestSupport.synchronizeReturnsInsideSection(rcu)).isFalse();
    }
  }

  @Test
  @DisplayName("get_state_synchronize_rcu / poll_state_synchronize_rcu")
  void pollState() {
    try (Rcu rcu = faithful(false)) {
      long cookie = rcu.pollState();
      rcu.synchronize();
      rcu.readLock();
      assertThat(rcu.pollStateSynchronized(cookie)).isTrue(); // already ended
      long inside = rcu.pollState();
      assertThat(rcu.pollStateSynchronized(inside)).isFalse(); // this thread began before
      rcu.readUnlock();
      assertThat(rcu.pollStateSynchronized(inside)).isTrue();
      long c2 = rcu.pollState();
      rcu.synchronize();
      assertThat(rcu.pollStateSynchronized(c2)).isTrue();
      assertThatThrownBy(() -> rcu.pollStateSynchronized(0L))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cookie 0");
      assertThatThrownBy(() -> rcu.pollStateSynchronized(Long.MAX_VALUE))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  @DisplayName("call_rcu callbacks run in order, after a grace period; rcu_barrier waits for them")
  void callbackOrderAndBarrier(boolean reclaimerThread) {
    try (Rcu rcu = faithful(reclaimerThread)) {
      List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
      int n = 1000;
      for (int i = 0; i < n; i++) {
        int k = i;
        rcu.callRcu(() -> ran.add(k));
      }
      rcu.barrier();
      assertThat(ran).hasSize(n);
      for (int i = 0; i < n; i++) {
        assertThat(ran.get(i)).isEqualTo(i);
      }
    }
  }

  @Test
  @DisplayName("without a reclaimer thread, callbacks run only in synchronize_rcu / rcu_barrier")
  void noBackgroundThreadMode() {
    try (Rcu rcu = faithful(false)) {
      AtomicInteger ran = new AtomicInteger();
      rcu.readLock();
      rcu.callRcu(ran::incrementAndGet); // allowed inside a section
      rcu.readUnlock();
      assertThat(ran.get()).isZero();
      rcu.synchronize();
      assertThat(ran.get()).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("a call_rcu callback waits for a reader that began before it was queued")
  void callbackWaitsForReader() throws InterruptedException {
    try (Rcu rcu = faithful(true)) {
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger readerState = new AtomicInteger(); // 1 inside, 2 left
      AtomicInteger seenByCallback = new AtomicInteger(-1);
      Thread reader =
          new Thread(
              () -> {
                rcu.readLock();
                readerState.set(1);
                inside.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                readerState.set(2);
                rcu.readUnlock();
              });
      reader.start();
      inside.await();
      rcu.callRcu(() -> seenByCallback.set(readerState.get()));
      release.countDown();
      rcu.barrier();
      reader.join();
      assertThat(seenByCallback.get()).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  @DisplayName("a callback that throws is reported and later callbacks still run")
  void callbackExceptions(boolean reclaimerThread) {
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (Rcu rcu =
        Rcu.builder()
            .protocol(RcuVariant.FAITHFUL.protocol())
            .reclaimerThread(reclaimerThread)
            .callbackErrorHandler(errors::add)
            .build()) {
      AtomicInteger ran = new AtomicInteger();
      rcu.callRcu(
          () -> {
            throw new IllegalStateException("boom 1");
          });
      rcu.callRcu(ran::incrementAndGet);
      rcu.callRcu(
          () -> {
            throw new AssertionError("boom 2");
          });
      rcu.callRcu(ran::incrementAndGet);
      rcu.callRcu(rcu::readLock); // leaves a section open: reported, and the section is ended
      rcu.callRcu(ran::incrementAndGet);
      rcu.barrier();
      assertThat(ran.get()).isEqualTo(3);
      assertThat(errors).hasSize(3);
      assertThat(errors.get(0)).hasMessage("boom 1");
      assertThat(errors.get(1)).hasMessage("boom 2");
      assertThat(errors.get(2)).hasMessageContaining("inside a read-side critical section");
      rcu.synchronize(); // the reclaimer's forgotten section does not block grace periods
    }
  }

  @Test
  @DisplayName("close() runs pending callbacks; call_rcu after close throws; global cannot close")
  void close() {
    AtomicInteger ran = new AtomicInteger();
    Rcu rcu = faithful(true);
    for (int i = 0; i < 100; i++) {
      rcu.callRcu(ran::incrementAndGet);
    }
    rcu.close();
    assertThat(ran.get()).isEqualTo(100);
    rcu.close(); // idempotent
    assertThatThrownBy(() -> rcu.callRcu(ran::incrementAndGet))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    rcu.barrier();
    rcu.readLock();
    rcu.readUnlock();
    rcu.synchronize();
    assertThatThrownBy(() -> Rcu.global().close())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(Rcu.global()).isSameAs(Rcu.global());
  }

  @Test
  @DisplayName("a grace period reports a stalled reader and keeps waiting for it")
  void stallWarning() throws InterruptedException {
    List<Thread> stalled = new CopyOnWriteArrayList<>();
    CountDownLatch reported = new CountDownLatch(1);
    try (Rcu rcu =
        Rcu.builder()
            .protocol(RcuVariant.FAITHFUL.protocol())
            .reclaimerThread(false)
            .stallTimeout(Duration.ofMillis(1))
            .stallListener(
                (t, waited, died) -> {
                  assertThat(died).isFalse();
                  stalled.add(t);
                  reported.countDown();
                })
            .build()) {
      CountDownLatch inside = new CountDownLatch(1);
      AtomicInteger left = new AtomicInteger();
      Thread reader =
          new Thread(
              () -> {
                rcu.readLock();
                inside.countDown();
                try {
                  reported.await(); // stay until the stall has been reported
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                left.set(1);
                rcu.readUnlock();
              },
              "stalling-reader");
      reader.start();
      inside.await();
      rcu.synchronize();
      assertThat(left.get()).isEqualTo(1); // it kept waiting after the report
      reader.join();
      assertThat(stalled).isNotEmpty().allMatch(t -> t == reader);
    }
  }

  @Test
  @DisplayName(
      "a thread that dies inside rcu_read_lock is reported and does not block grace periods")
  void deadReader() throws InterruptedException {
    List<Boolean> died = new CopyOnWriteArrayList<>();
    try (Rcu rcu =
        Rcu.builder()
            .protocol(RcuVariant.FAITHFUL.protocol())
            .reclaimerThread(false)
            .stallListener((t, waited, d) -> died.add(d))
            .build()) {
      Thread t = new Thread(rcu::readLock, "dies-inside");
      t.start();
      t.join();
      rcu.synchronize();
      assertThat(died).containsExactly(true);
      rcu.synchronize();
      assertThat(died).containsExactly(true); // reported once; its record is gone
    }
  }

  @Test
  @Tag("stress") // about 40 s on two shared cores; left out of the PIT run (pom.xml,
  // docs/mutation-testing.md)
  @DisplayName("100,000 short-lived reader threads do not grow the registry without bound")
  void manyShortLivedThreads() throws InterruptedException {
    int threads = TestScale.pick(100_000, 1_000_000);
    int batch = 16;
    try (Rcu rcu = faithful(false)) {
      int maxSize = RcuTestSupport.churnShortLivedReaders(rcu, threads, batch);
      // sweeps run when the registry doubles past the live count plus a slack of 64
      assertThat(maxSize).isLessThan(2 * batch + 64 + batch + 2);
      rcu.synchronize();
      assertThat(rcu.registrySize()).isLessThanOrEqualTo(1); // only this thread's record
    }
  }

  @Test
  @DisplayName("builder rejects bad arguments with a clear message")
  void builderArguments() {
    assertThatThrownBy(() -> Rcu.builder().stallTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT0S");
    assertThatThrownBy(() -> Rcu.builder().stallTimeout(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Rcu.builder().protocol(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Rcu.builder().stallListener(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Rcu.builder().callbackErrorHandler(null))
        .isInstanceOf(IllegalArgumentException.class);
    try (Rcu rcu = faithful(false)) {
      assertThatThrownBy(() -> rcu.callRcu(null)).isInstanceOf(NullPointerException.class);
    }
  }

  @Test
  @DisplayName("vmalock.variant is read by RcuVariant.fromSystemProperty only, not by Rcu")
  void variantProperty() {
    String old = System.getProperty(RcuVariant.PROPERTY);
    try {
      System.setProperty(RcuVariant.PROPERTY, "SYNC_NO_WAIT");
      assertThat(RcuVariant.fromSystemProperty()).isEqualTo(RcuVariant.SYNC_NO_WAIT);
      assertThat(new Rcu().protocol()).isSameAs(RcuProtocol.faithful());
      assertThat(Rcu.builder().protocol(RcuVariant.SYNC_NO_WAIT.protocol()).build().protocol())
          .isSameAs(RcuVariant.SYNC_NO_WAIT.protocol());
      System.setProperty(RcuVariant.PROPERTY, "WRITER_NO_WAIT"); // an mm variant
      assertThat(RcuVariant.fromSystemProperty()).isEqualTo(RcuVariant.FAITHFUL);
      System.clearProperty(RcuVariant.PROPERTY);
      assertThat(RcuVariant.fromSystemProperty()).isEqualTo(RcuVariant.FAITHFUL);
    } finally {
      if (old == null) {
        System.clearProperty(RcuVariant.PROPERTY);
      } else {
        System.setProperty(RcuVariant.PROPERTY, old);
      }
    }
  }

  @Test
  @DisplayName("synchronize_rcu keeps waiting across interrupts and restores the status")
  void synchronizeInterrupted() throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      Thread.currentThread().interrupt();
      rcu.synchronize();
      assertThat(Thread.interrupted()).isTrue();
    }
  }
}
