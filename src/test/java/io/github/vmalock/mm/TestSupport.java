package io.github.vmalock.mm;

import java.util.concurrent.CountDownLatch;
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

  /**
   * Starts a writer thread named "writer" that takes {@code mm}'s mmap write lock and {@code
   * vma_start_write}s each of {@code vmas}, and returns once it holds them all: the shape of a
   * system call inside its write period. The writer stays there until {@link WriteHold#release()},
   * then unlocks ({@code vma_end_write_all}).
   *
   * @throws AssertionError if the writer fails to get there (its failure is the cause) or does not
   *     get there within the generous timeout
   */
  static WriteHold holdWriteLocked(MmStruct mm, VmArea... vmas) throws InterruptedException {
    return holdWriteLocked(mm, () -> {}, vmas);
  }

  /**
   * As {@link #holdWriteLocked(MmStruct, VmArea...)}, and once released the writer runs {@code
   * beforeUnlock} still holding the mmap write lock, in the same write period, before it unlocks.
   */
  static WriteHold holdWriteLocked(MmStruct mm, ThrowingRunnable beforeUnlock, VmArea... vmas)
      throws InterruptedException {
    WriteHold hold = new WriteHold(mm, beforeUnlock, vmas);
    hold.awaitHeld();
    return hold;
  }

  /**
   * A writer thread holding an mmap write lock and VMA write locks (see {@link
   * #holdWriteLocked(MmStruct, VmArea...)}). {@link #close()} releases it and joins it, so a test
   * that fails half-way does not leave it blocked.
   */
  static final class WriteHold implements AutoCloseable {
    final Thread thread;
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private WriteHold(MmStruct mm, ThrowingRunnable beforeUnlock, VmArea[] vmas) {
      thread =
          new Thread(
              () -> {
                try {
                  mm.mmapWriteLock();
                  try {
                    for (VmArea v : vmas) {
                      v.startWrite();
                    }
                    held.countDown();
                    release.await();
                    beforeUnlock.run();
                  } finally {
                    mm.mmapWriteUnlock();
                  }
                } catch (Throwable e) {
                  failure.set(e);
                  held.countDown();
                }
              },
              "writer");
      thread.setDaemon(true);
      thread.start();
    }

    private void awaitHeld() throws InterruptedException {
      if (!held.await(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        release();
        throw new AssertionError("writer never held the write locks: " + thread.getState());
      }
      Throwable e = failure.get();
      if (e != null) {
        throw new AssertionError("writer failed before holding the write locks", e);
      }
    }

    /** Lets the writer go on: it runs its {@code beforeUnlock} action, then unlocks. */
    void release() {
      release.countDown();
    }

    /** Waits (bounded) for the writer to finish; rethrows its failure. Does not release it. */
    void join() throws InterruptedException {
      thread.join(TIMEOUT_MS);
      if (thread.isAlive()) {
        throw new AssertionError("writer did not finish: " + thread.getState());
      }
      Throwable e = failure.get();
      if (e != null) {
        throw new AssertionError("writer failed", e);
      }
    }

    /** {@link #release()}, then {@link #join()}; may be called after either. */
    @Override
    public void close() {
      release();
      try {
        join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while joining the writer", e);
      }
    }
  }

  /** A runnable that may throw. */
  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  /**
   * The scale of randomized and stress tests: {@code vmalock.scale=large} multiplies by 20, {@code
   * tiny} (the mutation-testing profile) divides by 20.
   */
  static int scaled(int small) {
    return switch (System.getProperty("vmalock.scale", "small")) {
      case "large" -> small * 20;
      // The mutation-testing profile's scale: a mutant run repeats every covering test.
      case "tiny" -> Math.max(1, small / 20);
      default -> small;
    };
  }
}
