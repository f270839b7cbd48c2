package io.github.vmalock.mm;

import io.github.vmalock.locking.Refcount;
import io.github.vmalock.rcu.Rcu;

/**
 * The per-VMA read paths of an {@link MmStruct}, the read side of {@code mm/mmap_lock.c}: {@code
 * lock_vma_under_rcu}, {@code vma_start_read}, the series' {@code vma_start_read_unlocked}, {@code
 * lock_next_vma} with its mmap-lock fallback, and {@code lock_mm_and_find_vma}.
 *
 * <p>Package-private: {@link MmStruct}'s public methods of the same names carry the contracts (what
 * is held on entry and return, blocking, results on a miss or contention) and delegate here. The
 * algorithm step by step and its memory-ordering argument are the implementation notes of {@link
 * MmStruct}, which owns the state these paths read ({@code mm_mt}, {@code mm_lock_seq}, the
 * protocol, the counters).
 */
final class VmaReadPaths {
  /*
   * Implementation notes.
   *
   * Each method is static and takes the mm as its first argument, so that MmStruct's public
   * method is a one-line delegation the JIT inlines: the fast path of lockVmaUnderRcu pays no
   * extra object, load or call for living here. The faithful steps run inline behind
   * mm.faithful, a final field; any other VmaLockProtocol is called through mm.protocol (see
   * MmStruct's notes on the protocol seam). Nothing here has state of its own.
   */

  private VmaReadPaths() {}

  /** {@code lock_vma_under_rcu}; the contract is {@link MmStruct#lockVmaUnderRcu(long)}. */
  static VmArea lockVmaUnderRcu(MmStruct mm, long addr) {
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return null;
    }
    // The thread's RCU handle: one ThreadLocal lookup per call, not one per lock and unlock.
    Rcu.Reader rd = mm.rcu.reader();
    for (; ; ) {
      rd.lock();
      VmArea vma = mm.mmMt.load(addr);
      if (vma == null) {
        rd.unlock();
        mm.statAbort.increment();
        return null;
      }
      vma = mm.faithful ? vmaStartRead(mm, vma, rd) : mm.protocol.startRead(mm.steps, vma, rd);
      if (vma == MmStruct.EAGAIN) {
        // Detached under us: the area was replaced; walk again.
        mm.statMiss.increment();
        continue;
      }
      if (vma == null) {
        mm.statAbort.increment();
        return null;
      }
      // Stable from here: locked, and not isolated when we locked it.
      rd.unlock();
      if (mm.faithful
          ? addr < vma.vmStart || addr >= vma.vmEnd
          : !mm.protocol.rangeRecheck(mm.steps, vma, addr)) {
        vma.refcountPut(mm);
        mm.statAbort.increment();
        return null;
      }
      if (mm.debug) {
        mm.tracker.acquired(vma, MmStruct.LOCK_VMA_READ);
      }
      return vma;
    }
  }

  /** {@code vma_start_read} with the calling thread's RCU handle looked up. */
  static VmArea vmaStartRead(MmStruct mm, VmArea vma) {
    Rcu.Reader rd = mm.rcu.reader();
    return mm.faithful ? vmaStartRead(mm, vma, rd) : mm.protocol.startRead(mm.steps, vma, rd);
  }

  /**
   * {@code vma_start_read}, step 2 of MmStruct's notes: inside an RCU read section, which is left
   * on every failure and kept on success.
   *
   * @return {@code vma} read-locked, null (could not lock), or {@code MmStruct.EAGAIN} (detached)
   */
  static VmArea vmaStartRead(MmStruct mm, VmArea vma, Rcu.Reader rd) {
    // 2a. Cheap early check; a race may give a false "locked", which is allowed.
    if (vma.lockSeq() == mm.mmLockSeq.readOnce()) {
      rd.unlock();
      return null;
    }
    // 2b. Limited acquire increment; the limit is below the flag, so a writer refuses us too.
    int old = vma.tryIncrementForRead(mm.refcntLimit);
    if (!Refcount.admitted(old, mm.refcntLimit)) {
      rd.unlock();
      return old == 0 ? MmStruct.EAGAIN : null;
    }
    // 2c. Recycled for another mm: drop the reference, waking that mm's writer if needed.
    MmStruct owner = vma.vmMm;
    if (owner != mm) {
      rd.unlock();
      vma.refcountPut(owner);
      return null;
    }
    // 2d. Acquire re-check; pairs with the release in vma_end_write_all().
    if (vma.lockSeq() == mm.mmLockSeq.readAcquire()) {
      vma.refcountPut(mm);
      rd.unlock();
      return null;
    }
    return vma;
  }

  /** The contract is {@link MmStruct#vmaStartReadUnlocked(long)}. */
  static VmArea vmaStartReadUnlocked(MmStruct mm, long addr) {
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      throw new UnsupportedOperationException(
          "vma_start_read_unlocked needs per-VMA locks (LockMode.MMAP_LOCK_ONLY)");
    }
    mm.checkNotHoldingMmapLock("vma_start_read_unlocked");
    mm.mightSleep("vma_start_read_unlocked");
    if (mm.debug) {
      mm.checkLockOrder("vma_start_read_unlocked");
    }
    if (!mm.faithful) {
      return mm.protocol.startReadUnlocked(mm.steps, addr);
    }
    // Fast path: a stable VMA covering addr, without the mmap lock.
    VmArea vma = lockVmaUnderRcu(mm, addr);
    if (vma != null) {
      return vma;
    }
    // Slow path: the mmap read lock keeps writers out; look the VMA up again under it.
    mm.mmapReadLock();
    try {
      vma = mm.mmMt.load(addr);
      if (vma == null) {
        return null;
      }
      if (!vma.startReadLocked()) {
        // The series: if (!vma_start_read_locked(vma)) return NULL; (reader limit reached).
        return null;
      }
      return vma;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** The contract is {@link MmStruct#lockNextVma(long)}. */
  static VmArea lockNextVma(MmStruct mm, long fromAddr) {
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      throw new UnsupportedOperationException(
          "lock_next_vma needs per-VMA locks (LockMode.MMAP_LOCK_ONLY)");
    }
    Rcu.Reader rd = mm.rcu.reader();
    rd.lock();
    try {
      return lockNextVma(mm, rd, fromAddr);
    } finally {
      rd.unlock();
    }
  }

  /** The contract is {@link MmStruct#lockNextVma(Rcu.Reader, long)}. */
  static VmArea lockNextVma(MmStruct mm, Rcu.Reader rd, long fromAddr) {
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      throw new UnsupportedOperationException(
          "lock_next_vma needs per-VMA locks (LockMode.MMAP_LOCK_ONLY)");
    }
    if (rd == null || rd.domain() != mm.rcu) {
      throw new IllegalArgumentException(
          "lock_next_vma: rd must be a reader of this mm's RCU domain " + mm.rcu + ": " + rd);
    }
    if (!rd.isLocked()) {
      throw new IllegalStateException("lock_next_vma: no rcu read lock held (RCU_LOCKDEP_WARN)");
    }
    mm.mightSleep("lock_next_vma");
    for (; ; ) {
      long seq = mm.mmapLockSpeculateTryBegin();
      VmArea vma = mm.mmMt.state(fromAddr).find(-1L);
      if (vma == null) {
        return null;
      }
      vma = mm.faithful ? vmaStartRead(mm, vma, rd) : mm.protocol.startRead(mm.steps, vma, rd);
      if (vma == MmStruct.EAGAIN) {
        // Detached under us; vma_start_read left the section: re-enter, search again.
        rd.lock();
        continue;
      }
      if (vma == null) {
        // fallback: vma_start_read already left the section.
        return lockNextVmaFallback(mm, rd, fromAddr);
      }
      if (fromAddr >= vma.vmEnd) {
        // Shrunk or recycled behind the scan position (fallback_unlock).
        rd.unlock();
        vma.refcountPut(mm);
        return lockNextVmaFallback(mm, rd, fromAddr);
      }
      if (fromAddr < vma.vmStart && (seq < 0 || mm.mmLockSeq.retry(seq))) {
        // A writer may have removed or shrunk what came before: check nothing precedes it now.
        if (mm.mmMt.state(fromAddr).find(-1L) != vma) {
          rd.unlock();
          vma.refcountPut(mm);
          return lockNextVmaFallback(mm, rd, fromAddr);
        }
      }
      if (mm.debug) {
        mm.tracker.acquired(vma, MmStruct.LOCK_VMA_READ);
      }
      return vma; // the caller's section is still held
    }
  }

  /** The fallback, entered outside the section; re-enters it on every way out. */
  private static VmArea lockNextVmaFallback(MmStruct mm, Rcu.Reader rd, long fromAddr) {
    try {
      return lockNextVmaUnderMmapLock(mm, fromAddr);
    } finally {
      rd.lock(); // rcu_read_lock() after lock_next_vma_under_mmap_lock(), even on ERR_PTR
    }
  }

  /**
   * {@code lock_next_vma_under_mmap_lock}: {@code mmap_read_lock_killable}, look up again, {@code
   * vma_start_read_locked}, {@code mmap_read_unlock}. Entered outside any RCU read section of this
   * thread's making (the callers leave it first).
   *
   * @throws MmErrnoException EINTR if interrupted while waiting for the mmap lock ({@code
   *     ERR_PTR(-EINTR)}); the interrupt status is set again and nothing is held
   */
  private static VmArea lockNextVmaUnderMmapLock(MmStruct mm, long fromAddr) {
    try {
      mm.mmapReadLockKillable();
    } catch (InterruptedException e) {
      // The fatal signal: ERR_PTR(-EINTR). The thread stays "killed" for its caller.
      Thread.currentThread().interrupt();
      throw new MmErrnoException(
          Errno.EINTR, "lock_next_vma: interrupted in mmap_read_lock_killable", e);
    }
    try {
      VmArea vma = mm.mmMt.state(fromAddr).find(-1L);
      if (vma != null && !vma.startReadLocked()) {
        throw MmStruct.refcntOverflow("lock_next_vma", vma, mm.refcntLimit);
      }
      return vma;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** The contract is {@link MmStruct#lockMmAndFindVma(long)}. */
  static VmArea lockMmAndFindVma(MmStruct mm, long addr) {
    mm.mightSleep("lock_mm_and_find_vma");
    // get_mmap_lock_carefully(): mmap_read_trylock, else mmap_read_lock_killable.
    if (!mm.mmapReadTrylock()) {
      try {
        mm.mmapReadLockKillable();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    VmArea vma = MmapOps.findVma(mm, addr);
    if (vma != null && vma.vmStart <= addr) {
      return vma;
    }
    if (vma == null || (vma.vmFlags & VmFlags.VM_GROWSDOWN) == 0) {
      mm.mmapReadUnlock();
      return null;
    }
    // No atomic upgrade (upgrade_mmap_lock_carefully): drop the read lock, take the write lock
    // killably, look up again.
    mm.mmapReadUnlock();
    try {
      mm.mmapWriteLockKillable();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    boolean ok = false;
    try {
      vma = MmapOps.findVma(mm, addr);
      if (vma == null) {
        return null;
      }
      if (vma.vmStart > addr) {
        if ((vma.vmFlags & VmFlags.VM_GROWSDOWN) == 0 || !MmapOps.expandDownwards(mm, vma, addr)) {
          return null;
        }
      }
      ok = true;
      return vma;
    } finally {
      if (ok) {
        mm.mmapWriteDowngrade();
      } else {
        mm.mmapWriteUnlock();
      }
    }
  }
}
