package io.github.vmalock.locking;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A raw sequence count: the kernel's {@code seqcount_t} with an {@code unsigned int sequence} (here
 * an {@code int} that wraps the same way), as used for {@code mm->mm_lock_seq}.
 *
 * <p>Context: every method is lock-free and never blocks.
 */
public final class SeqCount {
  /*
   * Implementation notes.
   *
   * The writer side is serialised externally (for mm_lock_seq: by the mmap write lock); this class
   * does not check that. An odd value means a write section is open.
   *   - writeBegin() (do_raw_write_seqcount_begin: sequence++; smp_wmb()) stores the odd value and
   *     then issues a release fence (VarHandle.releaseFence()): the odd value is ordered before
   *     every store of the write section.
   *   - writeEnd() (do_raw_write_seqcount_end: smp_wmb(); sequence++) is a release store of the
   *     next even value: every store of the section is ordered before it.
   *   - readAcquire() (raw_read_seqcount: READ_ONCE plus smp_rmb()) is an acquire load: a reader
   *     that sees the even value written by writeEnd() sees every store the writer made before it.
   *     This is the pairing the per-VMA read lock relies on (vma_start_read's re-check against
   *     vma_end_write_all).
   *   - retry(int) (read_seqcount_retry: smp_rmb() then a re-read) issues an acquire fence
   *     (VarHandle.acquireFence()) so that the reader's data loads are ordered before the second
   *     load of the sequence.
   */

  private int sequence;

  /** A sequence count starting at 0 (even: no write section open), as {@code seqcount_init}. */
  public SeqCount() {}

  /**
   * A sequence count starting at {@code initial}, for example just below the wrap-around point in
   * tests of the kernel's {@code unsigned int} wrap.
   *
   * @param initial the starting value; even unless the caller means a write section to be open
   */
  public SeqCount(int initial) {
    this.sequence = initial;
  }

  /**
   * Opens a write section: the sequence becomes odd ({@code do_raw_write_seqcount_begin}).
   *
   * <p>Locking: the caller serialises writers (holds the writer lock); the value must be even on
   * entry, which is not checked.
   */
  public void writeBegin() {
    int s = (int) SEQUENCE.getOpaque(this);
    SEQUENCE.setOpaque(this, s + 1);
    VarHandle.releaseFence();
  }

  /**
   * Closes a write section: release store of the next (even) value ({@code
   * do_raw_write_seqcount_end}).
   *
   * <p>Locking: the caller serialises writers and opened the section with {@link #writeBegin()}.
   */
  public void writeEnd() {
    int s = (int) SEQUENCE.getOpaque(this);
    SEQUENCE.setRelease(this, s + 1);
  }

  /**
   * The current value with acquire ordering ({@code raw_read_seqcount}); never waits for an odd
   * value to become even.
   *
   * @return the sequence, possibly odd
   */
  public int readAcquire() {
    return (int) SEQUENCE.getAcquire(this);
  }

  /**
   * The current value without ordering ({@code READ_ONCE(s->sequence)}), for cheap checks whose
   * result is not relied upon.
   *
   * @return the sequence, possibly odd
   */
  public int readOnce() {
    return (int) SEQUENCE.getOpaque(this);
  }

  /**
   * Begins a speculative read section ({@code raw_seqcount_try_begin}): fails instead of waiting
   * when a writer is inside.
   *
   * @return the (even) sequence as an unsigned value in {@code [0, 2^32)}, or {@code -1} when the
   *     sequence is odd (a write section is open)
   */
  public long tryBegin() {
    int s = readAcquire();
    return (s & 1) != 0 ? -1L : Integer.toUnsignedLong(s);
  }

  /**
   * Ends a speculative read section ({@code read_seqcount_retry}): whether a writer has opened a
   * section since {@code start} was read, so that what was read must be discarded.
   *
   * @param start a value returned by {@link #tryBegin()} (not {@code -1})
   * @return true if the sequence moved since {@code start}
   */
  public boolean retry(long start) {
    VarHandle.acquireFence();
    return Integer.toUnsignedLong((int) SEQUENCE.getOpaque(this)) != start;
  }

  /** Whether a write section is open (the value is odd), read with acquire ordering. */
  public boolean isWriteSectionOpen() {
    return (readAcquire() & 1) != 0;
  }

  @Override
  public String toString() {
    return "SeqCount[" + Integer.toUnsignedString(readOnce()) + "]";
  }

  private static final VarHandle SEQUENCE;

  static {
    try {
      SEQUENCE = MethodHandles.lookup().findVarHandle(SeqCount.class, "sequence", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
