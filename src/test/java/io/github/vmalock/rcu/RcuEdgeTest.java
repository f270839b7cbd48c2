package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.vmalock.variants.RcuVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The domain's less travelled paths: reporting (stall warnings and callback errors through the
 * default {@code System.Logger} and through handlers that themselves throw), waits that get
 * interrupted (they keep waiting and restore the interrupt status), calls refused on the reclaimer
 * thread, {@code close()} running pending callbacks in the no-background-thread mode, and the
 * variants' misuse checks. No timing assertions: every wait is released by the test itself.
 */
class RcuEdgeTest {

  private static final long TIMEOUT_S = 60;

  /** A thread inside a read section until {@link #leave} is counted down. */
  private static Thread readerInside(Rcu rcu, CountDownLatch entered, CountDownLatch leave) {
    Thread t =
        new Thread(
            () -> {
              rcu.readLock();
              entered.countDown();
              try {
                leave.await(TIMEOUT_S, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                rcu.readUnlock();
              }
            },
            "edge-reader");
    t.start();
    return t;
  }

  @Test
  @DisplayName("rcu_barrier and close() from a callback on the reclaimer thread are refused")
  void refusedOnReclaimerThread() {
    try (Rcu rcu = Rcu.builder().reclaimerThread(true).build()) {
      AtomicReference<Throwable> fromBarrier = new AtomicReference<>();
      AtomicReference<Throwable> fromClose = new AtomicReference<>();
      rcu.callRcu(
          () -> {
            fromBarrier.set(catchThrowable(rcu::barrier));
            fromClose.set(catchThrowable(rcu::close));
          });
      rcu.barrier();
      assertThat(fromBarrier.get())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("reclaimer thread");
      assertThat(fromClose.get())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("reclaimer thread");
    }
  }

  @Test
  @DisplayName("close() without a reclaimer thread runs the pending callbacks")
  void closeRunsPendingCallbacks() {
    Rcu rcu = Rcu.builder().reclaimerThread(false).build();
    List<Integer> ran = new ArrayList<>();
    rcu.callRcu(() -> ran.add(1));
    rcu.callRcu(() -> ran.add(2));
    assertThat(ran).isEmpty();
    rcu.close();
    assertThat(ran).containsExactly(1, 2);
    assertThat(catchThrowable(() -> rcu.callRcu(() -> ran.add(3))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  @DisplayName("callback errors: default logger, a handler that throws, a callback left inside")
  void callbackErrors() {
    List<Integer> ran = new ArrayList<>();
    try (Rcu rcu = Rcu.builder().reclaimerThread(false).build()) {
      rcu.callRcu(
          () -> {
            throw new IllegalStateException("callback failure, logged by default");
          });
      rcu.callRcu(() -> ran.add(1));
      rcu.barrier();
    }
    List<Throwable> seen = new CopyOnWriteArrayList<>();
    try (Rcu rcu =
        Rcu.builder()
            .reclaimerThread(false)
            .callbackErrorHandler(
                e -> {
                  seen.add(e);
                  throw new IllegalArgumentException("the handler fails too");
                })
            .build()) {
      rcu.callRcu(
          () -> {
            throw new IllegalStateException("callback failure");
          });
      rcu.callRcu(rcu::readLock); // returns inside a section: reported, the section ended
      rcu.callRcu(() -> ran.add(2));
      rcu.barrier();
      assertThat(rcu.isReadLocked()).isFalse();
    }
    assertThat(ran).containsExactly(1, 2);
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).hasMessage("callback failure");
    assertThat(seen.get(1)).hasMessageContaining("inside a read-side critical section");
  }

  @Test
  @DisplayName("stall warning through the default logger and through a listener that throws")
  void stallReports() throws InterruptedException {
    for (boolean withListener : new boolean[] {false, true}) {
      CountDownLatch reported = new CountDownLatch(1);
      Rcu.Builder b = Rcu.builder().reclaimerThread(false).stallTimeout(Duration.ofMillis(1));
      if (withListener) {
        b.stallListener(
            (reader, waited, died) -> {
              reported.countDown();
              throw new IllegalStateException("listener failure, logged");
            });
      }
      try (Rcu rcu = b.build()) {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread reader = readerInside(rcu, entered, leave);
        assertThat(entered.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        Thread updater = new Thread(rcu::synchronize, "edge-updater");
        updater.start();
        if (withListener) {
          assertThat(reported.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
        } else {
          awaitParked(updater);
        }
        leave.countDown();
        updater.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        assertThat(updater.isAlive()).as("synchronize returned after the reader left").isFalse();
      }
    }
  }

  @Test
  @DisplayName(
      "a thread that dies inside a section is reported by the default logger, not waited for")
  void deadReaderDefaultLogger() throws InterruptedException {
    try (Rcu rcu = Rcu.builder().reclaimerThread(false).build()) {
      Thread dies = new Thread(rcu::readLock, "edge-dies-inside");
      dies.start();
      dies.join();
      rcu.synchronize(); // returns: the dead reader is reported and unlinked
      long cookie = rcu.pollState();
      rcu.synchronize();
      assertThat(rcu.pollStateSynchronized(cookie)).isTrue();
      assertThat(rcu.toString()).contains("Rcu[");
      assertThat(rcu.reader().toString()).contains("nest=0");
    }
  }

  @Test
  @DisplayName("synchronize and barrier keep waiting across an interrupt and restore the status")
  void interruptedWaits() throws InterruptedException {
    try (Rcu rcu = Rcu.builder().reclaimerThread(true).build()) {
      CountDownLatch entered = new CountDownLatch(1);
      CountDownLatch leave = new CountDownLatch(1);
      Thread reader = readerInside(rcu, entered, leave);
      assertThat(entered.await(TIMEOUT_S, TimeUnit.SECONDS)).isTrue();
      AtomicReference<Boolean> syncStatus = new AtomicReference<>();
      AtomicReference<Boolean> barrierStatus = new AtomicReference<>();
      Thread updater =
          new Thread(
              () -> {
                rcu.synchronize();
                syncStatus.set(Thread.interrupted());
                rcu.callRcu(() -> {});
                Thread.currentThread().interrupt();
                rcu.barrier();
                barrierStatus.set(Thread.interrupted());
              },
              "edge-updater");
      updater.start();
      awaitParked(updater);
      updater.interrupt();
      leave.countDown();
      updater.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      assertThat(syncStatus.get()).as("interrupt status restored by synchronize").isTrue();
      assertThat(barrierStatus.get()).as("interrupt status restored by barrier").isTrue();
    }
  }

  @Test
  @DisplayName("close() with a reclaimer thread, interrupted: still stops it, status restored")
  void interruptedClose() {
    Rcu rcu = Rcu.builder().reclaimerThread(true).build();
    List<Integer> ran = new CopyOnWriteArrayList<>();
    rcu.callRcu(() -> ran.add(1));
    Thread.currentThread().interrupt();
    rcu.close();
    assertThat(Thread.interrupted()).as("interrupt status restored by close").isTrue();
    assertThat(ran).containsExactly(1);
  }

  @Test
  @DisplayName("variant readers: unbalanced unlock refused as in the faithful one")
  void variantReaderMisuse() {
    for (RcuVariant v :
        new RcuVariant[] {RcuVariant.RELEASE_PUBLICATION, RcuVariant.NESTED_UNLOCK_EARLY}) {
      try (Rcu rcu = Rcu.builder().protocol(v.protocol()).reclaimerThread(false).build()) {
        assertThat(catchThrowable(rcu::readUnlock))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("without a matching readLock");
        rcu.readLock();
        assertThat(rcu.isReadLocked()).isTrue();
        rcu.readUnlock();
        assertThat(rcu.protocol()).isSameAs(v.protocol());
      }
    }
  }

  /** Waits (no timing assertion) until {@code t} parks inside a grace-period wait. */
  private static void awaitParked(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
      assertThat(System.nanoTime()).as("%s never parked", t.getName()).isLessThan(deadline);
      Thread.sleep(1);
    }
  }
}
