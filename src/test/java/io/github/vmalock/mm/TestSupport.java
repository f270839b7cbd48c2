package io.github.vmalock.mm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Thread helpers for the mm tests: no timing assertions, only generous timeouts against hangs. */
final class TestSupport {
  static final long PAGE = 4096;
  static final long TIMEOUT_MS = TimeUnit.SECONDS.toMillis(60);

  private TestSupport() {}

  /** Waits until {@code t} is parked (WAITING), failing after a generous timeout. */
  static void awaitWaiting(Thread t) throws InterruptedException {
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (t.getState() != Thread.State.WAITING) {
      if (!t.isAlive()) {
        throw new AssertionError("thread ended instead of blocking: " + t.getName());
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("thread never blocked: " + t.getName() + " " + t.getState());
      }
      Thread.sleep(1);
    }
  }

  /**
   * Closes {@code mm} after a test unless a failed test left it holding locks or read references
   * (then {@code close()} would wait for them forever and hide the failure behind a hang).
   */
  static void closeIfQuiescent(MmStruct mm) {
    if (mm.isClosed()) {
      return;
    }
    try {
      mm.assertQuiescent();
    } catch (IllegalStateException leftOver) {
      return;
    }
    mm.close();
  }

  /** A started thread whose failure is rethrown by {@link Worker#join()}. */
  static final class Worker {
    final Thread thread;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Worker(String name, ThrowingRunnable body) {
      thread =
          new Thread(
              () -> {
                try {
                  body.run();
                } catch (Throwable e) {
                  failure.set(e);
                }
              },
              name);
      thread.setDaemon(true);
      thread.start();
    }

    void join() throws InterruptedException {
      thread.join(TIMEOUT_MS);
      if (thread.isAlive()) {
        throw new AssertionError("thread did not finish: " + thread.getName());
      }
      Throwable e = failure.get();
      if (e != null) {
        throw new AssertionError("thread " + thread.getName() + " failed", e);
      }
    }
  }

  /** A runnable that may throw. */
  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** The scale of randomized and stress tests: {@code vmalock.scale=large} multiplies by 20. */
  static int scaled(int small) {
    return "large".equals(System.getProperty("vmalock.scale", "small")) ? small * 20 : small;
  }
}
