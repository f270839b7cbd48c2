package io.github.vmalock.mm;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debug mode of an {@link MmStruct}, the model's twin of lockdep and {@code might_sleep()}: the
 * no-sleep context, the lock-order check (no mmap lock while holding a VMA read lock), and the
 * checks that find leaked locks ({@code debug_check_no_locks_held}, the quiescence check).
 *
 * <p>Package-private: {@link MmStruct}'s public methods ({@link MmStruct#noSleep(Runnable)}, {@link
 * MmStruct#assertNoLocksHeld()}, {@link MmStruct#heldLocks()}, {@link MmStruct#assertQuiescent()})
 * delegate here. The per-thread hold list itself is the mm's {@code LockTracker}, fed by the lock
 * paths in debug mode only.
 */
final class MmDebug {
  /*
   * Implementation notes.
   *
   * The no-sleep context is per thread (NO_SLEEP_DEPTH, a ThreadLocal counter, so it nests) and
   * checked whatever the debug mode, so every blocking call pays for the check. To keep that cost
   * off the common case, NO_SLEEP_SECTIONS counts threads inside noSleep() across all mms: a
   * volatile read of zero (nobody anywhere is inside noSleep) skips the ThreadLocal lookup. A
   * thread's own increment happens before its own later check (program order), so a thread inside
   * its section always sees a non-zero count and then its own depth; another thread's section
   * only costs this one the ThreadLocal lookup. No ordering beyond that is needed: the depth is
   * read only by its own thread.
   *
   * The lock-order check and the hold list are for debug mode only (the tracker is null
   * otherwise); the quiescence check takes the mmap read lock directly, without tracking, so that a
   * thread holding a leaked reference can itself ask.
   */

  /** Threads currently inside {@link #noSleep(Runnable)} (any mm): gates the cheap check. */
  private static final AtomicInteger NO_SLEEP_SECTIONS = new AtomicInteger();

  private static final ThreadLocal<int[]> NO_SLEEP_DEPTH =
      ThreadLocal.withInitial(() -> new int[1]);

  private MmDebug() {}

  /** Runs {@code action} inside the calling thread's no-sleep context (nests). */
  static void noSleep(Runnable action) {
    int[] depth = NO_SLEEP_DEPTH.get();
    depth[0]++;
    NO_SLEEP_SECTIONS.incrementAndGet();
    try {
      action.run();
    } finally {
      NO_SLEEP_SECTIONS.decrementAndGet();
      depth[0]--;
    }
  }

  /** {@code might_sleep()}: throws inside the calling thread's no-sleep context. */
  static void mightSleep(String what) {
    if (NO_SLEEP_SECTIONS.get() != 0 && NO_SLEEP_DEPTH.get()[0] > 0) {
      throw new IllegalStateException(
          "BUG: sleeping function called from invalid context: "
              + what
              + " inside MmStruct.noSleep() by "
              + Thread.currentThread().getName());
    }
  }

  /** Debug mode only: refuses to wait for the mmap lock while holding a VMA read lock of mm. */
  static void checkLockOrder(MmStruct mm, String what) {
    if (mm.tracker.holdCount(MmStruct.LOCK_VMA_READ) > 0) {
      throw new IllegalStateException(
          "possible circular locking dependency: "
              + what
              + " while holding a VMA read lock (a writer waiting in vma_start_write for that VMA"
              + " holds the mmap_lock we wait for); "
              + mm.tracker.describe());
    }
  }

  /** {@code debug_check_no_locks_held}; see {@link MmStruct#assertNoLocksHeld()}. */
  static void assertNoLocksHeld(MmStruct mm) {
    if (mm.mmapLock.isWriteLockedByCurrentThread() || mm.mmapLock.getReadHoldCount() > 0) {
      throw new IllegalStateException("debug_check_no_locks_held failed: " + heldLocks(mm));
    }
    if (mm.debug && mm.tracker.holdsAny()) {
      throw new IllegalStateException("debug_check_no_locks_held failed: " + heldLocks(mm));
    }
  }

  /** See {@link MmStruct#heldLocks()}. */
  static String heldLocks(MmStruct mm) {
    if (mm.debug) {
      return mm.tracker.describe();
    }
    return Thread.currentThread().getName()
        + " in "
        + mm.name()
        + ": mmap_lock read holds "
        + mm.mmapLock.getReadHoldCount()
        + ", write held "
        + mm.mmapLock.isWriteLockedByCurrentThread()
        + " (VMA read references are tracked in debug mode only)";
  }

  /** See {@link MmStruct#assertQuiescent()}. */
  static void assertQuiescent(MmStruct mm) {
    if (mm.mmapLock.isWriteLocked() || mm.mmapLock.getReadLockCount() != 0) {
      throw new IllegalStateException("mm not quiescent: mmap_lock is held: " + mm.mmapLock);
    }
    int expected = mm.lockMode == LockMode.PER_VMA ? 1 : 0;
    StringBuilder bad = new StringBuilder();
    mm.mmapLock.readLock().lock();
    try {
      for (VmArea v : VmaOps.collect(mm, 0, -1L)) {
        if (v.refcnt() != expected || v.isWriteLocked()) {
          bad.append("\n  ").append(v);
        }
      }
    } finally {
      mm.mmapLock.readLock().unlock();
    }
    if (bad.length() > 0) {
      throw new IllegalStateException(
          "mm not quiescent: VMAs with vm_refcnt != "
              + expected
              + " or write-locked (leaked read references?):"
              + bad);
    }
  }
}
