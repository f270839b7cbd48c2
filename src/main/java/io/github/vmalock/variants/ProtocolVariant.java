package io.github.vmalock.variants;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.mm.VmaLockSteps;
import io.github.vmalock.rcu.Rcu;

/**
 * The per-VMA lock protocols the harnesses and tests run: the faithful one, and known-bad ones that
 * they must catch. Each constant's {@link #protocol()} is a {@link VmaLockProtocol} written against
 * the seam, overriding the one step it breaks; pass it to {@link
 * MmStruct.Builder#protocol(VmaLockProtocol)}.
 *
 * <p>The library never reads the system property {@value #PROPERTY}; harnesses call {@link
 * #fromSystemProperty()} and pass the result to the builder.
 */
public enum ProtocolVariant {
  /** The kernel's protocol, with the corrected {@code vma_start_read_unlocked} slow path. */
  FAITHFUL(VmaLockProtocol.faithful()),

  /**
   * The series v2 slow path: {@code vma_start_read_locked} on the NULL result of the fast path (no
   * {@code vma_lookup}): {@link MmStruct#vmaStartReadUnlocked(long)} throws {@link
   * NullPointerException} whenever its fast path fails (the kernel would oops).
   */
  SEED_V2_NULL_DEREF(new SeedV2NullDeref()),

  /**
   * A slow path that reuses the VMA pointer from the RCU walk that preceded the failed fast path
   * instead of looking it up again under the mmap lock: it may lock a VMA that was since detached,
   * shrunk, or recycled for another range or mm.
   */
  STALE_SLOW_PATH_VMA(new StaleSlowPathVma()),

  /** {@code lock_vma_under_rcu} without the address-range re-check after locking. */
  NO_RANGE_RECHECK(new NoRangeRecheck()),

  /** {@code vma_start_read} without the {@code vm_mm} check for a recycled object. */
  NO_MM_RECHECK(new StartReadChecks(true, false)),

  /**
   * {@code vma_start_read} without the {@code vm_lock_seq} checks: neither the early check nor the
   * acquire re-check after the increment (so readers enter write-locked VMAs).
   */
  NO_SEQ_RECHECK(new StartReadChecks(false, true)),

  /** {@code vma_start_write} that sets {@code vm_lock_seq} without waiting for readers to leave. */
  WRITER_NO_WAIT(new WriterNoWait()),

  /**
   * {@code vma_mark_detached} that drops the attach reference and returns without waiting for
   * transient readers (the VMA may be freed and reused while a reader still holds a reference). The
   * reader's late put then lands on the reused object: {@code vma_init}'s reset to 0 has already
   * forgotten that reference, so an attached VMA drops to {@code vm_refcnt} 0 (or -1), and {@link
   * MmStruct#lockVmaUnderRcu(long)} walking to it retries its "detached under us" path without end,
   * as the kernel's {@code goto retry} would.
   */
  DETACH_NO_WAIT(new DetachNoWait());

  /** The system property the harnesses read to choose a variant: {@code vmalock.variant}. */
  public static final String PROPERTY = "vmalock.variant";

  private final VmaLockProtocol protocol;

  ProtocolVariant(VmaLockProtocol protocol) {
    this.protocol = protocol;
  }

  /**
   * This variant's implementation of the seam.
   *
   * @return the protocol ({@link VmaLockProtocol#faithful()} for {@link #FAITHFUL})
   */
  public VmaLockProtocol protocol() {
    return protocol;
  }

  /**
   * The variant named by the system property {@value #PROPERTY}, if it names one of these constants
   * (other names are left to {@link RcuVariant}).
   *
   * @return that variant, or {@link #FAITHFUL}
   */
  public static ProtocolVariant fromSystemProperty() {
    String name = System.getProperty(PROPERTY);
    if (name != null) {
      for (ProtocolVariant v : values()) {
        if (v.name().equals(name.trim())) {
          return v;
        }
      }
    }
    return FAITHFUL;
  }

  /** A known-bad protocol: the mm's {@code vm_refcnt} checks are lax. */
  private abstract static class KnownBad implements VmaLockProtocol {
    @Override
    public boolean strictRefcountChecks() {
      return false;
    }

    @Override
    public String toString() {
      return getClass().getSimpleName();
    }
  }

  private static final class SeedV2NullDeref extends KnownBad {
    @Override
    @SuppressWarnings("NullAway")
    public VmArea startReadUnlocked(VmaLockSteps s, long addr) {
      VmArea vma = s.lockVmaUnderRcu(addr);
      if (vma != null) {
        return vma;
      }
      s.mmapReadLock();
      try {
        if (!s.startReadLocked(vma)) { // vma is null here: the v2 NULL dereference
          return null;
        }
        return vma;
      } finally {
        s.mmapReadUnlock();
      }
    }
  }

  private static final class StaleSlowPathVma extends KnownBad {
    @Override
    public VmArea startReadUnlocked(VmaLockSteps s, long addr) {
      s.rcuReadLock();
      VmArea stale = s.lookup(addr);
      s.rcuReadUnlock();
      VmArea vma = s.lockVmaUnderRcu(addr);
      if (vma != null) {
        return vma;
      }
      s.mmapReadLock();
      try {
        if (stale == null || s.owner(stale) != s.mm() || !stale.isAttached()) {
          return null;
        }
        if (!s.startReadLocked(stale)) {
          return null;
        }
        return stale;
      } finally {
        s.mmapReadUnlock();
      }
    }
  }

  private static final class NoRangeRecheck extends KnownBad {
    @Override
    public boolean rangeRecheck(VmaLockSteps s, VmArea vma, long addr) {
      return true;
    }
  }

  /** {@code vma_start_read} with the sequence checks or the {@code vm_mm} check left out. */
  private static final class StartReadChecks extends KnownBad {
    private final boolean seqChecks;
    private final boolean mmCheck;

    StartReadChecks(boolean seqChecks, boolean mmCheck) {
      this.seqChecks = seqChecks;
      this.mmCheck = mmCheck;
    }

    @Override
    public VmArea startRead(VmaLockSteps s, VmArea vma, Rcu.Reader rd) {
      if (seqChecks && s.writeLockedOpaque(vma)) {
        rd.unlock();
        return null;
      }
      int old = s.tryIncrementForRead(vma);
      if (!s.admitted(old)) {
        rd.unlock();
        return old == 0 ? s.eagain() : null;
      }
      MmStruct owner = s.owner(vma);
      if (mmCheck && owner != s.mm()) {
        rd.unlock();
        s.refcountPut(vma, owner);
        return null;
      }
      if (seqChecks && s.writeLockedAcquire(vma)) {
        s.refcountPut(vma, s.mm());
        rd.unlock();
        return null;
      }
      return vma;
    }

    @Override
    public String toString() {
      return seqChecks ? "NoMmRecheck" : "NoSeqRecheck";
    }
  }

  private static final class WriterNoWait extends KnownBad {
    @Override
    public boolean startWrite(VmaLockSteps s, VmArea vma, int seq, boolean interruptible) {
      s.setLockSeq(vma, seq);
      return true;
    }
  }

  private static final class DetachNoWait extends KnownBad {
    @Override
    public void detachWait(VmaLockSteps s, VmArea vma) {}
  }
}
