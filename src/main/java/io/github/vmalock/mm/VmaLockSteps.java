package io.github.vmalock.mm;

import io.github.vmalock.locking.Refcount;

/**
 * The primitives the faithful per-VMA lock protocol is built from, bound to one {@link MmStruct}:
 * what a {@link VmaLockProtocol} composes. Each method is one step of the kernel code (named on it)
 * with the same memory ordering; none of them checks the caller's context beyond what the kernel
 * asserts.
 *
 * <p>Obtained only as the argument of a {@link VmaLockProtocol} method; thread-safe (it holds
 * nothing but its mm).
 */
public final class VmaLockSteps {
  /**
   * {@code VM_REFCNT_EXCLUDE_READERS_FLAG}, {@code 1 << 30}: set while a writer excludes readers.
   */
  public static final int EXCLUDE_READERS_FLAG = VmArea.VM_REFCNT_EXCLUDE_READERS_FLAG;

  /** The faithful protocol: every default, nothing overridden. */
  static final VmaLockProtocol FAITHFUL = new VmaLockProtocol() {};

  private final MmStruct mm;

  VmaLockSteps(MmStruct mm) {
    this.mm = mm;
  }

  /**
   * The mm these steps act for.
   *
   * @return the mm
   */
  public MmStruct mm() {
    return mm;
  }

  /**
   * The {@code -EAGAIN} result of {@link VmaLockProtocol#startRead}: "detached, walk again".
   *
   * @return the sentinel (never a real VMA)
   */
  public VmArea eagain() {
    return MmStruct.EAGAIN;
  }

  /**
   * The early check of {@code vma_start_read}: {@code READ_ONCE(vma->vm_lock_seq) ==
   * READ_ONCE(mm->mm_lock_seq)}, an opaque load that may race (a false "locked" is allowed).
   *
   * @param vma the VMA
   * @return true if the VMA looks write-locked in this mm's current write period
   */
  public boolean writeLockedOpaque(VmArea vma) {
    return vma.lockSeq() == mm.mmLockSeq.readOnce();
  }

  /**
   * The re-check of {@code vma_start_read} after the increment: {@code vm_lock_seq} against an
   * acquire load of {@code mm_lock_seq} (pairs with the release in {@code vma_end_write_all}).
   *
   * @param vma the VMA, with a read reference held
   * @return true if the VMA is write-locked (the reader must back out)
   */
  public boolean writeLockedAcquire(VmArea vma) {
    return vma.lockSeq() == mm.mmLockSeq.readAcquire();
  }

  /**
   * {@code __refcount_inc_not_zero_limited_acquire(&vma->vm_refcnt, &old, VMA_REF_LIMIT)}, with
   * this mm's reader limit ({@link MmStruct.Builder#refcntLimit(int)}).
   *
   * @param vma the VMA
   * @return the old count; the increment happened iff {@link #admitted(int)}
   */
  public int tryIncrementForRead(VmArea vma) {
    return vma.tryIncrementForRead(mm.refcntLimit);
  }

  /**
   * Whether {@link #tryIncrementForRead} with result {@code old} took a reference.
   *
   * @param old the old count
   * @return true if a reference was taken
   */
  public boolean admitted(int old) {
    return Refcount.admitted(old, mm.refcntLimit);
  }

  /**
   * {@code vma->vm_mm}, a plain load (the object may have been recycled into another mm).
   *
   * @param vma the VMA
   * @return its current owner, or null for a never-used object
   */
  public MmStruct owner(VmArea vma) {
    return vma.vmMm;
  }

  /**
   * {@code vma_refcount_put}: drops a transient reference taken by {@link #tryIncrementForRead},
   * waking {@code wake}'s writer if it waits on this VMA. Never blocks.
   *
   * @param vma the VMA
   * @param wake the mm whose {@code vma_writer_wait} to wake: {@code vm_mm} as read before
   */
  public void refcountPut(VmArea vma, MmStruct wake) {
    vma.refcountPut(wake);
  }

  /**
   * {@link MmStruct#lockVmaUnderRcu(long)} of this mm (with its protocol).
   *
   * @param addr the address
   * @return as {@link MmStruct#lockVmaUnderRcu(long)}
   */
  public VmArea lockVmaUnderRcu(long addr) {
    return mm.lockVmaUnderRcu(addr);
  }

  /**
   * {@code mas_walk}/{@code vma_lookup}: the VMA whose range holds {@code addr} in the tree.
   *
   * <p>Held on entry: an RCU read section of this mm's domain, or the mmap lock (then the result is
   * attached and stable while the lock is held).
   *
   * @param addr the address
   * @return the VMA, or null on a gap
   */
  public VmArea lookup(long addr) {
    return mm.mmMt.load(addr);
  }

  /** {@code rcu_read_lock} on this mm's domain (the calling thread's handle). */
  public void rcuReadLock() {
    mm.rcu.readLock();
  }

  /** {@code rcu_read_unlock} on this mm's domain. */
  public void rcuReadUnlock() {
    mm.rcu.readUnlock();
  }

  /** {@link MmStruct#mmapReadLock()}: may block. */
  public void mmapReadLock() {
    mm.mmapReadLock();
  }

  /** {@link MmStruct#mmapReadUnlock()}. */
  public void mmapReadUnlock() {
    mm.mmapReadUnlock();
  }

  /**
   * {@link VmArea#startReadLocked()}: {@code vma_start_read_locked} under the mmap lock.
   *
   * @param vma the VMA, looked up under the mmap lock
   * @return false only on reader overflow
   */
  public boolean startReadLocked(VmArea vma) {
    return vma.startReadLocked();
  }

  /**
   * The exception {@code vma_start_read_unlocked} throws when {@code vma_start_read_locked} fails
   * ({@code ERR_PTR(-EAGAIN)}: reader overflow).
   *
   * @param what the function name for the message
   * @param vma the VMA at the limit
   * @return an {@link MmErrnoException} with {@link Errno#EAGAIN}, to throw
   */
  public IllegalStateException refcntOverflow(String what, VmArea vma) {
    return MmStruct.refcntOverflow(what, vma, mm.refcntLimit);
  }

  /**
   * {@code refcount_add_not_zero(VM_REFCNT_EXCLUDE_READERS_FLAG, &vma->vm_refcnt)}: the writer's
   * (or the detach's) exclusion of new readers.
   *
   * @param vma the VMA
   * @return true if the flag was added (the count was not 0)
   */
  public boolean excludeReaders(VmArea vma) {
    return vma.excludeReaders();
  }

  /**
   * {@code refcount_sub(VM_REFCNT_EXCLUDE_READERS_FLAG, &vma->vm_refcnt)}: ends the exclusion.
   *
   * @param vma the VMA
   * @return the count after
   */
  public int includeReaders(VmArea vma) {
    return vma.includeReaders();
  }

  /**
   * {@code rcuwait_wait_event(&mm->vma_writer_wait, refcount_read(&vma->vm_refcnt) == target)}. May
   * block.
   *
   * @param vma the VMA
   * @param target the count to wait for
   * @param interruptible whether an interrupt ends the wait
   * @return false only if interruptible and interrupted
   */
  public boolean waitForRefcnt(VmArea vma, int target, boolean interruptible) {
    return vma.waitForRefcnt(mm, target, interruptible);
  }

  /**
   * {@code WRITE_ONCE(vma->vm_lock_seq, seq)}: the write lock itself.
   *
   * @param vma the VMA
   * @param seq the mm's {@code mm_lock_seq}
   */
  public void setLockSeq(VmArea vma, int seq) {
    vma.setLockSeq(seq);
  }
}
