package io.github.vmalock.mm;

import io.github.vmalock.locking.Refcount;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A virtual memory area, the kernel's {@code struct vm_area_struct}: a half-open address range
 * {@code [start, end)} of one {@link MmStruct}, with its flags, its page offset, and its per-VMA
 * lock ({@code vm_refcnt} plus {@code vm_lock_seq}).
 */
public final class VmArea {
  /*
   * Implementation notes.
   *
   * The vm_refcnt encoding (include/linux/mm_types.h, include/linux/mmap_lock.h): one int holds the
   * attach state, the reader count and the writer's "excluding readers" flag
   * VM_REFCNT_EXCLUDE_READERS_FLAG (1 << 30).
   *
   *   value           meaning
   *   0               detached: no reader may raise it (increment-from-zero is refused)
   *   1               attached, no readers (write-locked or not: that is vm_lock_seq's business)
   *   1 + N           attached, N read references (real readers or transient ones about to back out)
   *   FLAG + 1 + N    a writer excludes readers and waits for the N to leave
   *   FLAG + 1        the writer's target: every reader gone
   *   FLAG + N        a detach waits for N transient readers (the attach reference already dropped)
   *   FLAG            the detach's target, about to become 0
   *
   * Readers enter with a limited acquire increment that refuses 0 and any result above
   * VM_REFCNT_LIMIT (FLAG - 1); since the limit is below the flag, a set flag refuses every reader
   * without a second test. Decoders: isAttached(), readersExcluded(int).
   *
   * Write lock = sequence match. A VMA is write-locked while its vm_lock_seq equals the mm's (odd)
   * mm_lock_seq; startWrite() sets it, nothing clears it: MmStruct.mmapWriteUnlock() moves
   * mm_lock_seq on, which ends every VMA write lock of the period at once.
   *
   * vma_start_write, numbered (__vma_start_write, caller holds the mmap write lock):
   *   1. Already write-locked in this period (vm_lock_seq == mm_lock_seq)? Return.
   *   2. __vma_start_exclude_readers: add the flag unless the count is 0. If it is 0 the VMA is
   *      detached: no reader can get in (increment-from-zero is refused), go to step 4.
   *   3. Park on the mm's vma_writer_wait until the count is exactly FLAG + 1. The last reader to
   *      leave sees "readers excluded" after its decrement and wakes us. Readers that try to enter
   *      meanwhile are refused by the limit. (Interruptible form: on interrupt, remove the flag,
   *      leave vm_lock_seq alone, report failure.)
   *   4. Store vm_lock_seq = mm_lock_seq (opaque: the early check in vma_start_read reads it
   *      without a lock).
   *   5. Remove the flag (volatile subtraction). From now on readers are kept out by the sequence
   *      match: a reader that increments sees (acquire) our vm_lock_seq store, because our flag
   *      removal, which it read-modify-wrote after, is ordered after that store.
   *
   * vma_mark_detached: drop the attach reference; if the count is then 0, done. Otherwise transient
   * readers (which incremented before seeing the sequence match) are inside: add the flag, park
   * until the count is exactly FLAG, subtract the flag, leaving 0.
   *
   * Memory-ordering pairings
   *   - Reader admission is an acquire compare-and-exchange; endRead() is a volatile (so release)
   *     decrement: a writer whose wait condition reads the decremented value sees every read the
   *     reader made as finished.
   *   - markAttached() publishes the count 1 with a release store, after the fields (vm_mm, range,
   *     flags) were written; a reader's acquire increment from 1 therefore sees those fields (the
   *     recycled-object case 3 of the SLAB_TYPESAFE_BY_RCU change).
   *   - vma_end_write_all (in MmStruct.mmapWriteUnlock()) is a release store of the even
   *     mm_lock_seq; the reader's re-check after its increment is an acquire load of it: a reader
   *     that sees the new even value also sees every change the writer made to the VMA.
   *   - The last reader's decrement followed by its load of the waiting writer, against the
   *     writer's publication of itself followed by its load of the count, is a store-buffer
   *     pattern: all four accesses are volatile (see io.github.vmalock.locking.RcuWait), so the
   *     wake-up cannot be lost.
   *
   * Fields. start, end, pgoff, flags and mm are plain fields: they are written only by the mmap-
   * write-lock holder while the VMA is write-locked or detached, and read by readers only after an
   * acquire increment (or under the mmap lock). A reader of a recycled object may read them racily
   * before its re-checks reject the object; Java guarantees it sees some written value (no out-of-
   * thin-air, no torn long on 64-bit HotSpot), which is all the re-checks need.
   *
   * Known weak points. The count FLAG + 1 is ambiguous between "writer excluding, no readers" and
   * "detaching, one transient reader" (as in the kernel, whose last reader may then wake the
   * detacher spuriously); endRead() therefore refuses it and 1 only for faithful mms (a real
   * reader never sees them): it decrements first and undoes the decrement when the old value shows
   * the call was a bug, so a wrong endRead() is visible to other threads for a moment (see its
   * Javadoc). No owner is recorded (the kernel has none either): outside debug mode, a thread may
   * release a reference another thread took.
   */

  /** Bit of {@code vm_refcnt} that a writer or a detach sets to exclude readers. */
  public static final int VM_REFCNT_EXCLUDE_READERS_BIT = 30;

  /** {@code 1 << 30}: set while a writer or a detach excludes readers. */
  public static final int VM_REFCNT_EXCLUDE_READERS_FLAG = 1 << VM_REFCNT_EXCLUDE_READERS_BIT;

  /** {@code (1 << 30) - 1}: the largest count a reader may raise {@code vm_refcnt} to. */
  public static final int VM_REFCNT_LIMIT = VM_REFCNT_EXCLUDE_READERS_FLAG - 1;

  /** {@code vm_lock_seq}'s initial value, {@code UINT_MAX} ({@code vma_lock_init}). */
  static final int VM_LOCK_SEQ_INIT = -1;

  /** The page size the model uses, 4 KiB. */
  static final int PAGE_SHIFT = 12;

  /**
   * Whether {@code c} is a {@code vm_refcnt} value from which a real reader's {@link #endRead()} is
   * a bug. Strict ({@link VmaLockProtocol#strictRefcountChecks()}): 1 or less, {@code FLAG} and
   * {@code FLAG + 1} (no read reference in any of them). Lax (protocols that may leave a real
   * reader in a detaching VMA): only underflow, 0 or less.
   */
  static boolean endReadInvalid(int c, boolean strict) {
    return strict
        ? c <= 1 || c == VM_REFCNT_EXCLUDE_READERS_FLAG || c == VM_REFCNT_EXCLUDE_READERS_FLAG + 1
        : c <= 0;
  }

  long vmStart;
  long vmEnd;
  long vmPgoff;
  long vmFlags;
  MmStruct vmMm;

  /*
   * vm_area_struct.anon_vma. Null until the first write fault. Written (1) with a plain store by
   * init/split/merge/fork under the mmap write lock with the VMA write-locked or not yet attached,
   * and (2) by exactly one compare-and-set from null in MmStruct.handleMmFault, which holds the
   * mmap read lock (so no writer of kind 1 runs) and a read lock on this VMA or the mmap lock.
   * Read with getAcquire by faults; under the mmap write lock a plain read suffices (all CASes
   * happened under a read hold released before the write lock was granted: the rwsem's
   * release/acquire orders them).
   */
  @SuppressWarnings("UnusedVariable") // accessed through ANON_VMA
  private AnonVma anonVma;

  @SuppressWarnings("UnusedVariable") // accessed through VM_LOCK_SEQ
  private int vmLockSeq = VM_LOCK_SEQ_INIT;

  @SuppressWarnings("UnusedVariable") // accessed through VM_REFCNT
  private int vmRefcnt;

  /** A free object; {@link VmAreaCache} allocates these. */
  VmArea() {}

  // ---- the vm_refcnt decoders ----------------------------------------------------------------

  /**
   * {@code __vma_are_readers_excluded}: the flag is set and at most the writer's own reference
   * remains (for a detach, one transient reader may remain: a spurious wake-up the kernel accepts).
   */
  static boolean readersExcluded(int refcnt) {
    return (refcnt & VM_REFCNT_EXCLUDE_READERS_FLAG) != 0
        && refcnt <= VM_REFCNT_EXCLUDE_READERS_FLAG + 1;
  }

  // ---- plain accessors -------------------------------------------------------------------------

  /**
   * The first address, {@code vm_start}.
   *
   * <p>Locking: stable while the caller holds the mmap lock or a read reference on this VMA;
   * otherwise a hint (the object may have been recycled).
   *
   * @return the start address (page aligned)
   */
  public long start() {
    return vmStart;
  }

  /**
   * The first address past the area, {@code vm_end} (the range is half-open).
   *
   * <p>Locking: as {@link #start()}.
   *
   * @return the end address (page aligned)
   */
  public long end() {
    return vmEnd;
  }

  /**
   * The page offset, {@code vm_pgoff}; for the model's anonymous mappings {@code start >>> 12} of
   * the original mapping.
   *
   * <p>Locking: as {@link #start()}.
   *
   * @return the page offset of {@link #start()}
   */
  public long pgoff() {
    return vmPgoff;
  }

  /**
   * The {@link VmFlags} bits, {@code vm_flags}.
   *
   * <p>Locking: as {@link #start()}.
   *
   * @return the flags
   */
  public long flags() {
    return vmFlags;
  }

  /**
   * The VMA's {@code anon_vma}: null until a write fault in it ({@link MmStruct#handleMmFault(long,
   * boolean)}), then shared with the pieces of a split, kept by a {@code mremap} move and by
   * merges.
   *
   * <p>Locking: as {@link #start()}; a null read without the mmap lock may turn non-null at any
   * time (a concurrent fault), a non-null one stays until the mmap write lock is taken.
   *
   * @return the anon_vma, or null
   */
  public AnonVma anonVma() {
    return (AnonVma) ANON_VMA.getAcquire(this);
  }

  /**
   * Sets the anon_vma: mmap write lock held, VMA write-locked or detached (or not yet attached).
   */
  void setAnonVma(AnonVma av) {
    ANON_VMA.setRelease(this, av);
  }

  /**
   * The publication of {@code __anon_vma_prepare}: sets the anon_vma if it is still null.
   *
   * @return the VMA's anon_vma after the call: {@code av}, or the one a concurrent fault set first
   */
  AnonVma casAnonVma(AnonVma av) {
    AnonVma witness = (AnonVma) ANON_VMA.compareAndExchange(this, (AnonVma) null, av);
    return witness == null ? av : witness;
  }

  /**
   * The owning address space, {@code vm_mm}; null for an object that was never allocated.
   *
   * <p>Locking: as {@link #start()}; a freed object keeps its last mm until it is reused.
   *
   * @return the mm
   */
  public MmStruct mm() {
    return vmMm;
  }

  /**
   * Whether {@code addr} lies in {@code [start, end)}.
   *
   * <p>Locking: as {@link #start()}.
   *
   * @param addr an address
   * @return true if this VMA covers it
   */
  public boolean contains(long addr) {
    return addr >= vmStart && addr < vmEnd;
  }

  /**
   * The raw {@code vm_refcnt}, encoded as the kernel does (see the class notes): 0 detached, 1
   * attached, +1 per reader, {@code 1 << 30} added while a writer excludes readers.
   *
   * <p>Context: lock-free volatile read; a snapshot.
   *
   * @return the current count
   */
  public int refcnt() {
    return Refcount.read(VM_REFCNT, this);
  }

  /**
   * {@code vma_is_attached}: the count is not 0.
   *
   * <p>Context: lock-free; reliable only under the mmap write lock (as the kernel's warning says).
   *
   * @return true if attached to its mm
   */
  public boolean isAttached() {
    return refcnt() != 0;
  }

  /**
   * Whether this VMA is write-locked: {@code vm_lock_seq == mm_lock_seq} ({@code
   * __is_vma_write_locked}).
   *
   * <p>Context: lock-free snapshot; exact for the thread holding the mmap write lock. After {@code
   * 2^31} write periods a stale {@code vm_lock_seq} may match again (the kernel's false "locked"
   * result).
   *
   * @return true if write-locked in the current write period of its mm
   */
  public boolean isWriteLocked() {
    MmStruct mm = vmMm;
    return mm != null && lockSeq() == mm.mmLockSeq.readOnce();
  }

  /** {@code READ_ONCE(vma->vm_lock_seq)}. */
  int lockSeq() {
    return (int) VM_LOCK_SEQ.getOpaque(this);
  }

  // ---- read side
  // ---------------------------------------------------------------------------------

  /**
   * {@code vma_end_read}: drops one read reference; if it was the last one a writer or a detach
   * waits for, wakes that writer ({@code rcuwait_wake_up(&mm->vma_writer_wait)}).
   *
   * <p>Context: never blocks. Locking: the caller holds a read reference (from {@link
   * MmStruct#lockVmaUnderRcu(long)}, {@link MmStruct#vmaStartReadUnlocked(long)}, {@link
   * MmStruct#lockNextVma(long)} or {@link #startReadLocked()}); any thread may drop it (no owner,
   * as in the kernel) except in debug mode.
   *
   * <p>The decrement is one atomic {@code getAndAdd} (the kernel's {@code
   * __refcount_dec_and_test()}), not a compare-and-set loop; a decrement from a value that holds no
   * read reference is detected afterwards from the old value and undone before the exception is
   * thrown. Until the undo, another thread may see the wrong count for a moment (a reader is then
   * refused and retries or falls back; a waiting writer is woken after the undo to look again).
   *
   * @throws IllegalStateException if the VMA holds no read reference at all, or, in debug mode, if
   *     the calling thread holds none on it; the count is restored (debug mode: never changed)
   */
  public void endRead() {
    // Copy vm_mm first: once the count drops, the object may be freed and reused by another mm.
    MmStruct mm = vmMm;
    if (mm == null) {
      throw new IllegalStateException("vma_end_read on a never-used VmArea: " + this);
    }
    if (mm.debug && mm.tracker.holdCount(this, MmStruct.LOCK_VMA_READ) == 0) {
      throw new IllegalStateException(
          "vma_end_read by a thread that holds no read reference on "
              + this
              + " (lockdep: releasing a lock not held); "
              + mm.tracker.describe());
    }
    // One plain atomic decrement, as the kernel's __refcount_dec_and_test() (no CAS loop); a
    // decrement from a value holding no read reference is detected afterwards and undone.
    int n = Refcount.subReturn(VM_REFCNT, this, 1);
    if (endReadInvalid(n + 1, mm.strictRefcount)) {
      int restored = Refcount.subReturn(VM_REFCNT, this, -1);
      if (restored != 0 && readersExcluded(restored)) {
        // A writer may have seen the transient value and parked: let it look again.
        mm.vmaWriterWait.wakeUp();
      }
      throw new IllegalStateException(
          "vma_end_read without a read reference: vm_refcnt=0x"
              + Integer.toHexString(n + 1)
              + " on "
              + this);
    }
    if (mm.debug) {
      mm.tracker.released(this, MmStruct.LOCK_VMA_READ);
    }
    if (n != 0 && readersExcluded(n)) {
      mm.vmaWriterWait.wakeUp();
    }
  }

  /**
   * {@code vma_refcount_put} for a transient reference taken inside {@code vma_start_read} (no
   * validity check, no debug tracking).
   *
   * @param mm the mm whose writer to wake: the VMA's {@code vm_mm} as read before the decrement
   */
  void refcountPut(MmStruct mm) {
    int n = Refcount.subReturn(VM_REFCNT, this, 1);
    if (n != 0 && readersExcluded(n)) {
      mm.vmaWriterWait.wakeUp();
    }
  }

  /**
   * The limited acquire increment of {@code vma_start_read}.
   *
   * @return the old count; the increment happened iff {@link Refcount#admitted(int, int)}
   */
  int tryIncrementForRead(int limit) {
    return Refcount.incNotZeroLimitedAcquire(VM_REFCNT, this, limit);
  }

  /** {@code refcount_add_not_zero(VM_REFCNT_EXCLUDE_READERS_FLAG, &vm_refcnt)}. */
  boolean excludeReaders() {
    return Refcount.addNotZero(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG);
  }

  /** {@code refcount_sub(VM_REFCNT_EXCLUDE_READERS_FLAG, &vm_refcnt)}; returns the count after. */
  int includeReaders() {
    return Refcount.subReturn(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG);
  }

  /** {@code WRITE_ONCE(vm_lock_seq, seq)}. */
  void setLockSeq(int seq) {
    VM_LOCK_SEQ.setOpaque(this, seq);
  }

  /**
   * {@code vma_start_read_locked}: takes a read reference while the caller holds the mmap lock, so
   * that the caller can drop the mmap lock and keep the VMA stable.
   *
   * <p>Context: never blocks. Locking: the calling thread holds the mmap lock of {@link #mm()}
   * (read or write); no writer can then be excluding readers, so no sequence check is needed. On
   * success the caller holds a read reference and must call {@link #endRead()} once.
   *
   * @return true with a read reference; false, nothing taken, if the count is at the mm's reader
   *     limit (overflow) or 0 (the VMA is detached: {@code __refcount_inc_not_zero_limited_acquire}
   *     fails on 0, as the kernel's {@code vma_start_read_locked} does)
   * @throws IllegalStateException if the mmap lock is not held
   * @throws UnsupportedOperationException in {@link LockMode#MMAP_LOCK_ONLY}
   */
  public boolean startReadLocked() {
    MmStruct mm = vmMm;
    if (mm == null) {
      throw new IllegalStateException("vma_start_read_locked on a never-used VmArea");
    }
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      throw new UnsupportedOperationException(
          "vma_start_read_locked: per-VMA locks are off (LockMode.MMAP_LOCK_ONLY)");
    }
    mm.mmapAssertLocked();
    int old = tryIncrementForRead(mm.refcntLimit);
    if (!Refcount.admitted(old, mm.refcntLimit)) {
      // __refcount_inc_not_zero_limited_acquire fails on 0 (detached) as on the limit: false.
      return false;
    }
    if (mm.debug) {
      mm.tracker.acquired(this, MmStruct.LOCK_VMA_READ);
    }
    return true;
  }

  // ---- write side
  // --------------------------------------------------------------------------------

  /**
   * {@code vma_start_write}: write-locks this VMA for the rest of the current mmap write period,
   * first waiting for its readers to leave. Idempotent within one write period.
   *
   * <p>Context: may block (uninterruptibly, as {@code TASK_UNINTERRUPTIBLE}) until every reader
   * present when it started has called {@link #endRead()}; readers arriving later are refused.
   * Locking: the calling thread holds the mmap write lock of {@link #mm()}; on return the VMA is
   * write-locked until {@link MmStruct#mmapWriteUnlock()} or {@link MmStruct#mmapWriteDowngrade()}.
   * In {@link LockMode#MMAP_LOCK_ONLY} it only asserts the lock.
   *
   * @throws IllegalStateException if the calling thread does not hold the mmap write lock
   */
  public void startWrite() {
    MmStruct mm = checkedMmForWrite("vma_start_write");
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return;
    }
    int seq = mm.mmLockSeq.readOnce();
    if (lockSeq() == seq) {
      return;
    }
    startWriteSlow(mm, seq, false);
  }

  /**
   * {@code vma_start_write_killable}: as {@link #startWrite()}, but an interrupt ends the wait.
   *
   * <p>Context: may block. Locking: as {@link #startWrite()}; on interrupt the readers' exclusion
   * is undone, {@code vm_lock_seq} is left alone, and the mmap write lock and earlier VMA write
   * locks stay held.
   *
   * @throws InterruptedException if interrupted while waiting for readers (the interrupt status is
   *     cleared)
   * @throws IllegalStateException if the calling thread does not hold the mmap write lock
   */
  public void startWriteInterruptibly() throws InterruptedException {
    MmStruct mm = checkedMmForWrite("vma_start_write_killable");
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return;
    }
    int seq = mm.mmLockSeq.readOnce();
    if (lockSeq() == seq) {
      return;
    }
    if (!startWriteSlow(mm, seq, true)) {
      throw new InterruptedException("vma_start_write_killable interrupted on " + this);
    }
  }

  private MmStruct checkedMmForWrite(String what) {
    MmStruct mm = vmMm;
    if (mm == null) {
      throw new IllegalStateException(what + " on a never-used VmArea");
    }
    mm.mmapAssertWriteLocked();
    return mm;
  }

  /**
   * {@code __vma_start_write}: steps 2 to 5 of the class notes.
   *
   * @return false only if interruptible and interrupted (nothing changed)
   */
  private boolean startWriteSlow(MmStruct mm, int seq, boolean interruptible) {
    if (!mm.faithful) {
      return mm.protocol.startWrite(mm.steps, this, seq, interruptible);
    }
    boolean exclusive = false;
    if (Refcount.addNotZero(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG)) {
      exclusive = true;
      if (!waitForRefcnt(mm, VM_REFCNT_EXCLUDE_READERS_FLAG + 1, interruptible)) {
        Refcount.subReturn(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG);
        return false;
      }
    }
    VM_LOCK_SEQ.setOpaque(this, seq);
    if (exclusive) {
      int n = Refcount.subReturn(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG);
      assert n != 0 : "VMA detached while write-locking it: " + this;
    }
    return true;
  }

  /** {@code rcuwait_wait_event(&mm->vma_writer_wait, refcount_read(&vma->vm_refcnt) == target)}. */
  boolean waitForRefcnt(MmStruct mm, int target, boolean interruptible) {
    if (Refcount.read(VM_REFCNT, this) == target) {
      return true;
    }
    return mm.vmaWriterWait.waitEvent(
        () -> Refcount.read(VM_REFCNT, this) == target, interruptible);
  }

  /**
   * {@code vma_mark_attached}: publishes count 1 with release ordering, after the fields.
   *
   * <p>Locking: mmap write lock held, VMA write-locked and detached.
   */
  void markAttached() {
    MmStruct mm = vmMm;
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return;
    }
    vmaAssertWriteLocked();
    vmaAssertDetached();
    Refcount.setRelease(VM_REFCNT, this, 1);
  }

  /**
   * {@code vma_mark_detached}: drops the attach reference and waits for transient readers, leaving
   * the count 0.
   *
   * <p>Context: blocks only while transient readers back out. Locking: mmap write lock held, VMA
   * write-locked and attached.
   */
  void markDetached() {
    MmStruct mm = vmMm;
    if (mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return;
    }
    vmaAssertWriteLocked();
    vmaAssertAttached();
    if (Refcount.subReturn(VM_REFCNT, this, 1) == 0) {
      return;
    }
    if (!mm.faithful) {
      mm.protocol.detachWait(mm.steps, this);
      return;
    }
    // __vma_exclude_readers_for_detach: the readers left are transient (the VMA is write-locked).
    if (Refcount.addNotZero(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG)) {
      waitForRefcnt(mm, VM_REFCNT_EXCLUDE_READERS_FLAG, false);
      int n = Refcount.subReturn(VM_REFCNT, this, VM_REFCNT_EXCLUDE_READERS_FLAG);
      assert n == 0 : "detach left vm_refcnt " + n + " on " + this;
    }
  }

  // ---- field updates (mmap write lock held, VMA write-locked or detached) ---------------------

  /**
   * {@code vma_init} for a freshly allocated or recycled object: fields, then {@code vm_lock_seq =
   * UINT_MAX} and {@code vm_refcnt = 0} ({@code vma_lock_init(vma, true)}; resetting 0 cannot lose
   * a reader's increment because readers never raise 0).
   */
  void init(MmStruct mm, long start, long end, long pgoff, long flags) {
    this.vmMm = mm;
    this.vmStart = start;
    this.vmEnd = end;
    this.vmPgoff = pgoff;
    this.vmFlags = flags;
    ANON_VMA.setOpaque(this, null);
    VM_LOCK_SEQ.setOpaque(this, VM_LOCK_SEQ_INIT);
    VM_REFCNT.setOpaque(this, 0);
  }

  void setRange(long start, long end, long pgoff) {
    assert canModify() : "modifying a VMA that is attached but not write-locked: " + this;
    this.vmStart = start;
    this.vmEnd = end;
    this.vmPgoff = pgoff;
  }

  void setFlags(long flags) {
    assert canModify() : "modifying a VMA that is attached but not write-locked: " + this;
    this.vmFlags = flags;
  }

  /** {@code vma_assert_can_modify}: detached, or write-locked. */
  private boolean canModify() {
    return vmMm.lockMode == LockMode.MMAP_LOCK_ONLY || !isAttached() || isWriteLocked();
  }

  // ---- assertions
  // ----------------------------------------------------------------------------------

  /**
   * {@code vma_assert_write_locked}: the mmap write lock is held by the calling thread and this VMA
   * is write-locked ({@code vm_lock_seq == mm_lock_seq}).
   *
   * <p>Context: never blocks.
   *
   * @throws IllegalStateException naming the assertion if it fails
   */
  public void vmaAssertWriteLocked() {
    MmStruct mm = vmMm;
    if (mm == null
        || !mm.mmapLock.isWriteLockedByCurrentThread()
        || (mm.lockMode == LockMode.PER_VMA && lockSeq() != mm.mmLockSeq.readOnce())) {
      throw new IllegalStateException("vma_assert_write_locked failed: " + this);
    }
  }

  /**
   * {@code vma_assert_locked}: a read reference or the write lock is held. As the kernel without
   * lockdep: a count above 1 passes, 0 fails, 1 must be write-locked; in debug mode the calling
   * thread must hold a read reference or the write lock.
   *
   * <p>Context: never blocks.
   *
   * @throws IllegalStateException naming the assertion if it fails
   */
  public void vmaAssertLocked() {
    MmStruct mm = vmMm;
    if (mm != null && mm.debug) {
      if (mm.tracker.holdCount(this, MmStruct.LOCK_VMA_READ) == 0) {
        try {
          vmaAssertWriteLocked();
        } catch (IllegalStateException e) {
          throw new IllegalStateException(
              "vma_assert_locked failed: neither read- nor write-locked by this thread: " + this,
              e);
        }
      }
      return;
    }
    int c = refcnt();
    if (c > 1) {
      return;
    }
    if (c == 0) {
      throw new IllegalStateException("vma_assert_locked failed: VMA detached: " + this);
    }
    try {
      vmaAssertWriteLocked();
    } catch (IllegalStateException e) {
      throw new IllegalStateException("vma_assert_locked failed: " + this, e);
    }
  }

  /**
   * {@code vma_assert_attached}: the count is not 0 (a no-op in {@link LockMode#MMAP_LOCK_ONLY},
   * where attach does nothing).
   *
   * <p>Context: never blocks; meaningful under the mmap write lock.
   *
   * @throws IllegalStateException naming the assertion if it fails
   */
  public void vmaAssertAttached() {
    MmStruct mm = vmMm;
    if (mm != null && mm.lockMode == LockMode.MMAP_LOCK_ONLY) {
      return;
    }
    if (!isAttached()) {
      throw new IllegalStateException("vma_assert_attached failed: " + this);
    }
  }

  /**
   * {@code vma_assert_detached}: the count is 0.
   *
   * <p>Context: never blocks; meaningful under the mmap write lock.
   *
   * @throws IllegalStateException naming the assertion if it fails
   */
  public void vmaAssertDetached() {
    if (isAttached()) {
      throw new IllegalStateException("vma_assert_detached failed: " + this);
    }
  }

  /**
   * A debugger-friendly description: range, permissions, pgoff, {@code vm_refcnt}, {@code
   * vm_lock_seq}, and the owning mm's identity. Reads the fields racily; never blocks.
   */
  @Override
  public String toString() {
    MmStruct mm = vmMm;
    return String.format(
        "VmArea[%x-%x %s pgoff=%x refcnt=0x%x lock_seq=%s mm=%s anon_vma=%s]",
        vmStart,
        vmEnd,
        VmFlags.toString(vmFlags),
        vmPgoff,
        refcnt(),
        Integer.toUnsignedString(lockSeq()),
        mm == null ? "none" : mm.name(),
        ANON_VMA.getOpaque(this));
  }

  private static final VarHandle VM_LOCK_SEQ;
  private static final VarHandle VM_REFCNT;
  private static final VarHandle ANON_VMA;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      VM_LOCK_SEQ = l.findVarHandle(VmArea.class, "vmLockSeq", int.class);
      VM_REFCNT = l.findVarHandle(VmArea.class, "vmRefcnt", int.class);
      ANON_VMA = l.findVarHandle(VmArea.class, "anonVma", AnonVma.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
