package io.github.vmalock.mm;

import io.github.vmalock.rcu.Rcu;

/**
 * The replaceable steps of the per-VMA lock protocol: the toolkit for trying a protocol other than
 * the kernel's. An {@link MmStruct} runs {@link #faithful()} unless {@link
 * MmStruct.Builder#protocol(VmaLockProtocol)} names another implementation.
 *
 * <p>Every method has a default that is the faithful step, written with the primitives of {@link
 * VmaLockSteps}; an implementation overrides the steps it changes and keeps the others. Each method
 * names the kernel function ({@code mm/mmap_lock.c}, {@code include/linux/mmap_lock.h}) it models,
 * and what is held on entry and on return. Implementations must be stateless or thread-safe: one
 * instance serves every thread of every mm it is given to.
 *
 * <p>An mm built with the faithful protocol runs its own inline copy of these steps and never calls
 * the interface (see the implementation notes in {@link MmStruct}); an mm built with any other
 * instance, even one that overrides nothing, calls these methods.
 */
public interface VmaLockProtocol {

  /**
   * The kernel's protocol, with the corrected {@code vma_start_read_unlocked} slow path.
   *
   * @return the shared faithful instance (overrides nothing)
   */
  static VmaLockProtocol faithful() {
    return VmaLockSteps.FAITHFUL;
  }

  /**
   * {@code vma_start_read}: read-locks {@code vma}, found by an RCU walk, or refuses it: the early
   * {@code vm_lock_seq} check, the limited acquire increment of {@code vm_refcnt}, the {@code
   * vm_mm} check for an object recycled into another mm, and the acquire {@code vm_lock_seq}
   * re-check.
   *
   * <p>Held on entry: the RCU read section of {@code rd}. On return: that section is left on every
   * failure and kept on success. Never blocks.
   *
   * @param s the primitives of the mm that walked to {@code vma}
   * @param vma the object the walk found (possibly detached, recycled or write-locked)
   * @param rd the calling thread's RCU handle, inside a section
   * @return {@code vma} with one read reference; null to make the caller fall back to the mmap lock
   *     (write-locked, recycled, at the reader limit); or {@link VmaLockSteps#eagain()} when {@code
   *     vma} was detached (the caller walks again)
   */
  default VmArea startRead(VmaLockSteps s, VmArea vma, Rcu.Reader rd) {
    if (s.writeLockedOpaque(vma)) {
      rd.unlock();
      return null;
    }
    int old = s.tryIncrementForRead(vma);
    if (!s.admitted(old)) {
      rd.unlock();
      return old == 0 ? s.eagain() : null;
    }
    MmStruct owner = s.owner(vma);
    if (owner != s.mm()) {
      rd.unlock();
      s.refcountPut(vma, owner);
      return null;
    }
    if (s.writeLockedAcquire(vma)) {
      s.refcountPut(vma, s.mm());
      rd.unlock();
      return null;
    }
    return vma;
  }

  /**
   * The address re-check of {@code lock_vma_under_rcu} after {@link #startRead}: whether the
   * read-locked VMA still covers {@code addr} (it may have shrunk or moved before it was locked).
   *
   * <p>Held on entry and on return: one read reference on {@code vma}, no RCU section. Never
   * blocks. On false the caller drops the reference and falls back to the mmap lock.
   *
   * @param s the primitives of the mm
   * @param vma the read-locked VMA
   * @param addr the faulting address
   * @return true to return {@code vma} to the caller
   */
  default boolean rangeRecheck(VmaLockSteps s, VmArea vma, long addr) {
    return addr >= vma.vmStart && addr < vma.vmEnd;
  }

  /**
   * {@code vma_start_read_unlocked} after its context checks: the fast path ({@link
   * VmaLockSteps#lockVmaUnderRcu(long)}), and when it fails the slow path: wait for the writer
   * under {@code mmap_read_lock}, look the VMA up again there ({@code vma_lookup}), take a read
   * reference ({@code vma_start_read_locked}), drop the mmap lock.
   *
   * <p>Held on entry: nothing of this mm (checked by the caller). On return: the mmap lock is not
   * held; on a non-null result the caller holds one read reference. May block in {@code
   * mmap_read_lock}.
   *
   * @param s the primitives of the mm
   * @param addr the address
   * @return the read-locked VMA covering {@code addr}; null only when no VMA covered it while the
   *     mmap lock was held
   * @throws IllegalStateException on reader overflow ({@link VmaLockSteps#refcntOverflow})
   */
  default VmArea startReadUnlocked(VmaLockSteps s, long addr) {
    VmArea vma = s.lockVmaUnderRcu(addr);
    if (vma != null) {
      return vma;
    }
    s.mmapReadLock();
    try {
      vma = s.lookup(addr);
      if (vma == null) {
        return null;
      }
      if (!s.startReadLocked(vma)) {
        return null; // the series: if (!vma_start_read_locked(vma)) return NULL;
      }
      return vma;
    } finally {
      s.mmapReadUnlock();
    }
  }

  /**
   * {@code __vma_start_write}: excludes readers ({@code VM_REFCNT_EXCLUDE_READERS_FLAG}), waits
   * until only the attach reference is left, sets {@code vm_lock_seq = seq}, and lets readers in
   * again (they then fail the sequence check until the write lock ends).
   *
   * <p>Held on entry and on return: the mmap write lock. May block until readers leave.
   *
   * @param s the primitives of the mm
   * @param vma the attached VMA to write-lock
   * @param seq the mm's current {@code mm_lock_seq}
   * @param interruptible whether an interrupt ends the wait ({@code vma_start_write_killable})
   * @return false only if interruptible and interrupted, with nothing changed
   */
  default boolean startWrite(VmaLockSteps s, VmArea vma, int seq, boolean interruptible) {
    boolean exclusive = false;
    if (s.excludeReaders(vma)) {
      exclusive = true;
      if (!s.waitForRefcnt(vma, VmaLockSteps.EXCLUDE_READERS_FLAG + 1, interruptible)) {
        s.includeReaders(vma);
        return false;
      }
    }
    s.setLockSeq(vma, seq);
    if (exclusive) {
      s.includeReaders(vma);
    }
    return true;
  }

  /**
   * The wait of {@code vma_mark_detached} ({@code __vma_exclude_readers_for_detach}), called after
   * the attach reference was dropped and transient readers were left: excludes them, waits until
   * they back out, leaves {@code vm_refcnt} 0.
   *
   * <p>Held on entry and on return: the mmap write lock, {@code vma} write-locked. Blocks only
   * while transient readers back out.
   *
   * @param s the primitives of the mm
   * @param vma the VMA being detached
   */
  default void detachWait(VmaLockSteps s, VmArea vma) {
    if (s.excludeReaders(vma)) {
      s.waitForRefcnt(vma, VmaLockSteps.EXCLUDE_READERS_FLAG, false);
      s.includeReaders(vma);
    }
  }

  /**
   * Whether the mm checks {@code vm_refcnt} strictly: {@link VmArea#endRead()} refuses a release
   * from a count holding no read reference, and freeing a VMA that a reader still holds is refused.
   * A protocol that knowingly leaves readers in detaching VMAs answers false, so that the harnesses
   * see the damage instead of an exception. Read once, when the mm is built.
   *
   * @return true (the default) for strict checks
   */
  default boolean strictRefcountChecks() {
    return true;
  }
}
