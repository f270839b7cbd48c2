package io.github.vmalock.rcu;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Deterministic probes of the grace-period guarantee, shared by the faithful tests (which expect no
 * violation) and the variant tests (which expect each known-bad variant to show one). No probe
 * depends on timing: threads hand over through latches and observed thread states.
 */
final class RcuTestSupport {
  private RcuTestSupport() {}

  /**
   * A thread enters {@code depth} nested sections and leaves {@code depth - 1} of them (so it is
   * still inside); then the caller takes a cookie and polls it once. Returns true if the poll said
   * the grace period had ended while the reader was still inside: a violation.
   */
  static boolean pollEndsGracePeriodInsideSection(Rcu rcu, int depth) throws InterruptedException {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < depth; i++) {
                  rcu.readLock();
                }
                for (int i = 0; i < depth - 1; i++) {
                  rcu.readUnlock();
                }
                inside.countDown();
                release.await();
                rcu.readUnlock();
              } catch (Throwable t) {
                failure.set(t);
                inside.countDown();
              }
            },
            "probe-reader");
    reader.start();
    inside.await();
    long cookie = rcu.pollState();
    boolean violated = rcu.pollStateSynchronized(cookie);
    release.countDown();
    reader.join();
    if (failure.get() != null) {
      throw new AssertionError("probe reader failed", failure.get());
    }
    return violated;
  }

  /**
   * A reader stays inside its section until an updater thread, which called {@code synchronize()}
   * after the reader entered, has either parked (waiting, as it should) or returned. Returns true
   * if the updater returned while the reader was still inside: a violation.
   */
  static boolean synchronizeReturnsInsideSection(Rcu rcu) throws InterruptedException {
    CountDownLatch inside = new CountDownLatch(1);
    AtomicBoolean readerInside = new AtomicBoolean();
    AtomicBoolean violated = new AtomicBoolean();
    AtomicReference<Thread> updaterRef = new AtomicReference<>();
    CountDownLatch updaterStarted = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              rcu.readLock();
              readerInside.set(true);
              inside.countDown();
              try {
                updaterStarted.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              Thread updater = updaterRef.get();
              while (updater.getState() != Thread.State.TIMED_WAITING
                  && updater.getState() != Thread.State.TERMINATED) {
                Thread.onSpinWait();
              }
              readerInside.set(false);
              rcu.readUnlock();
            },
            "probe-reader");
    Thread updater =
        new Thread(
            () -> {
              rcu.synchronize();
              if (readerInside.get()) {
                violated.set(true);
              }
            },
            "probe-updater");
    updaterRef.set(updater);
    reader.start();
    inside.await();
    updater.start();
    updaterStarted.countDown();
    updater.join();
    reader.join();
    return violated.get();
  }

  /**
   * Starts {@code threads} short-lived threads, {@code batch} at a time, each entering and leaving
   * one read-side section and dying; returns the largest registry size seen after a batch ended.
   */
  static int churnShortLivedReaders(Rcu rcu, int threads, int batch) throws InterruptedException {
    int maxSize = 0;
    for (int i = 0; i < threads; i += batch) {
      Thread[] ts = new Thread[batch];
      for (int j = 0; j < batch; j++) {
        ts[j] =
            new Thread(
                () -> {
                  rcu.readLock();
                  rcu.readUnlock();
                });
        ts[j].start();
      }
      for (Thread t : ts) {
        t.join();
      }
      maxSize = Math.max(maxSize, rcu.registrySize());
    }
    return maxSize;
  }
}
