package io.github.vmalock.mm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The rwsem under an {@link MmStruct}'s mmap lock ({@code kernel/locking/rwsem.c}): a Java {@link
 * ReentrantReadWriteLock} with, in front of it, what the kernel's rwsem has and the Java lock
 * lacks: a trylock that never overtakes a waiter ({@code __down_read_trylock}) and the writer's
 * handoff ({@code RWSEM_FLAG_HANDOFF} after {@code RWSEM_WAIT_TIMEOUT}).
 *
 * <p>Package-private: {@link MmStruct}'s {@code mmap_read_lock} family is the public API; this
 * class does the acquisitions and knows nothing of {@code mm_lock_seq}, debug tracking or the
 * no-sleep context, which the callers in {@link MmStruct} handle.
 */
final class MmapRwsem {
  /*
   * Implementation notes.
   *
   * The lock is a non-fair ReentrantReadWriteLock: owner-checked, downgradable; new readers queue
   * behind a writer at the head of its queue, as in the kernel's rwsem, where a reader finding the
   * lock reader-owned with waiters queues.
   *
   * __down_read_trylock fails whenever any bit of RWSEM_READ_FAILED_MASK is set: a writer holds
   * it, or anyone waits (RWSEM_FLAG_WAITERS), or a handoff is pending. ReadLock.tryLock() barges
   * past a queued writer, so readTrylock() refuses while hasQueuedThreads() or a handoff is
   * pending.
   *
   * The handoff: a writer that has waited RWSEM_WAIT_TIMEOUT (4 ms; Builder.rwsemWaitTimeout)
   * sets RWSEM_FLAG_HANDOFF, after which neither a new reader nor another writer may take the lock
   * before it. Here the writer waits with a timed tryLock; on timeout it publishes itself in
   * handoffWriter (a volatile compare-and-set; one handoff at a time, as the flag is one bit), then
   * waits in the lock's queue. Every other acquirer reads handoffWriter (volatile) before it
   * touches the lock and, when set, waits on handoffDone under handoffLock until the writer has
   * the lock and clears it. The clear and the signal happen under handoffLock and the waiter
   * re-checks under it: no lost wake-up. An acquirer that read null just before the writer set it
   * is one that arrived before the flag, as in the kernel.
   *
   * A downgrade (MmStruct.mmapWriteDowngrade) takes its read hold directly: it never waits. The
   * timed wait leaves the lock's queue on timeout and the writer queues again at the tail: readers
   * that queued behind it during its first wait (they arrived before the flag) may go first, once;
   * none that arrives after the flag does. The kernel also lets a reader that waited past the
   * timeout set the handoff; the model does not (only writers starve here: readers queue).
   */

  /** The lock itself; {@link MmStruct#mmapLock()} hands it out for inspection. */
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  /** The writer whose {@code RWSEM_FLAG_HANDOFF} is pending, or null. */
  private final AtomicReference<Thread> handoffWriter = new AtomicReference<>();

  private final ReentrantLock handoffLock = new ReentrantLock();
  private final Condition handoffDone = handoffLock.newCondition();
  private final LongAdder handoffs = new LongAdder();

  /** {@code RWSEM_WAIT_TIMEOUT} of this lock, in nanoseconds. */
  final long waitTimeoutNanos;

  MmapRwsem(long waitTimeoutNanos) {
    this.waitTimeoutNanos = waitTimeoutNanos;
  }

  /** {@code down_read}: waits out a pending handoff, then takes a read hold; uninterruptible. */
  void downRead() {
    awaitHandoffUninterruptibly();
    lock.readLock().lock();
  }

  /**
   * {@code down_read_killable}: as {@link #downRead()}, ended by an interrupt (nothing held then).
   * The uncontended fast path ignores a pending signal, as the kernel's does.
   */
  void downReadKillable() throws InterruptedException {
    if (!Thread.currentThread().isInterrupted() || !readTrylock()) {
      awaitHandoff(true);
      lock.readLock().lockInterruptibly();
    }
  }

  /** {@code __down_read_trylock}: fails while a writer holds, anyone waits, or a handoff is due. */
  boolean readTrylock() {
    if (handoffWriter.get() != null || lock.hasQueuedThreads()) {
      return false;
    }
    return lock.readLock().tryLock();
  }

  /** {@code down_write}: uninterruptible; a pending interrupt is kept. */
  void downWrite() {
    try {
      downWrite(false);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible down_write was interrupted", e);
    }
  }

  /**
   * {@code down_write_killable}: ended by an interrupt (nothing held then). The uncontended fast
   * path ignores a pending signal, as the kernel's does.
   */
  void downWriteKillable() throws InterruptedException {
    if (!Thread.currentThread().isInterrupted()
        || handoffWriter.get() != null
        || !lock.writeLock().tryLock()) {
      downWrite(true);
    }
  }

  /** Releases the calling thread's read hold. */
  void upRead() {
    lock.readLock().unlock();
  }

  /** Releases the calling thread's write hold. */
  void upWrite() {
    lock.writeLock().unlock();
  }

  /** {@code downgrade_write}: a read hold is taken without waiting, then the write hold dropped. */
  void downgradeWrite() {
    lock.readLock().lock();
    lock.writeLock().unlock();
  }

  /** How many times a writer set the handoff ({@code rwsem_wlock_handoff}). */
  long handoffs() {
    return handoffs.sum();
  }

  /**
   * {@code rwsem_down_write_slowpath} with the handoff: the fast path, else a timed wait of {@code
   * RWSEM_WAIT_TIMEOUT}, else set the handoff and wait in the queue, where no new acquirer
   * overtakes.
   */
  private void downWrite(boolean interruptible) throws InterruptedException {
    Thread me = Thread.currentThread();
    Thread other = handoffWriter.get();
    if (other != null && other != me) {
      awaitHandoff(interruptible);
    } else if (lock.writeLock().tryLock()) {
      return;
    }
    boolean interrupted = false;
    long deadline = System.nanoTime() + waitTimeoutNanos;
    for (; ; ) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        if (lock.writeLock().tryLock(left, TimeUnit.NANOSECONDS)) {
          restoreInterrupt(interrupted);
          return;
        }
      } catch (InterruptedException e) {
        if (interruptible) {
          throw e;
        }
        interrupted = true;
      }
    }
    boolean mine = handoffWriter.compareAndSet(null, me);
    if (mine) {
      handoffs.increment();
    }
    try {
      if (interruptible) {
        lock.writeLock().lockInterruptibly();
      } else {
        lock.writeLock().lock();
      }
    } finally {
      if (mine) {
        handoffLock.lock();
        try {
          handoffWriter.set(null);
          handoffDone.signalAll();
        } finally {
          handoffLock.unlock();
        }
      }
      restoreInterrupt(interrupted);
    }
  }

  private static void restoreInterrupt(boolean interrupted) {
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitHandoffUninterruptibly() {
    try {
      awaitHandoff(false);
    } catch (InterruptedException e) {
      throw new AssertionError("an uninterruptible wait was interrupted", e);
    }
  }

  /** Waits while another thread's handoff is pending; with {@code interruptible}, ended by one. */
  private void awaitHandoff(boolean interruptible) throws InterruptedException {
    Thread h = handoffWriter.get();
    if (h == null || h == Thread.currentThread()) {
      return;
    }
    handoffLock.lock();
    try {
      while (handoffWriter.get() != null) {
        if (interruptible) {
          handoffDone.await();
        } else {
          handoffDone.awaitUninterruptibly();
        }
      }
    } finally {
      handoffLock.unlock();
    }
  }
}
