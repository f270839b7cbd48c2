package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.R;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Visibility: a reader that gets the VMA after the writer's {@code mmap_write_unlock} sees every
 * change the writer made to it (I10).
 *
 * <p>The writer {@code mprotect}s the whole read-only VMA to read-write (no split: only {@code
 * vm_flags} changes, under {@code vma_start_write}). The reader locks the VMA, reads its flags,
 * reads {@code mm_lock_seq}, and reads the flags again. {@code mm_lock_seq} tells where the writer
 * was: phase 0 before its write period, 1 inside it, 2 after {@code mmap_write_unlock}. A reader
 * holding the VMA in phase 2 must see the new flags (the writer's stores happen before the release
 * in {@code vma_end_write_all}, which the reader's acquire re-check of the sequence pairs with); a
 * reader holding it in phase 0 or 1 got it before the writer's {@code vma_start_write}, which then
 * waits for it, so it must see the old flags, twice.
 *
 * <p>r1: got the VMA (0/1). r2: phase (-1 when null). r3, r4: first and second flags read, 0 old
 * ({@code r}), 1 new ({@code rw}), 2 anything else, -1 when null.
 *
 * <p>Invariants cited here: see docs/invariants.md#i1, docs/invariants.md#i10.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'We must use ACQUIRE semantics for the mm_lock_seq so that if"
        + " we are racing with vma_end_write_all(), we only start reading from the VMA after it has"
        + " been unlocked. This pairs with RELEASE semantics in vma_end_write_all().' A reader"
        + " locking the VMA after mmap_write_unlock() sees the writer's changes (I10), and never sees"
        + " them change while it holds the VMA (I1).")
@Outcome(id = "0, -1, -1, -1", expect = ACCEPTABLE, desc = "lockVmaUnderRcu returned null.")
@Outcome(id = "1, 0, 0, 0", expect = ACCEPTABLE, desc = "Read the old flags before the writer.")
@Outcome(
    id = "1, 1, 0, 0",
    expect = ACCEPTABLE,
    desc = "Got it before vma_start_write; the writer waits for us: old flags.")
@Outcome(
    id = "1, 2, 1, 1",
    expect = ACCEPTABLE,
    desc = "Got it after mmap_write_unlock: new flags.")
@Outcome(
    expect = FORBIDDEN,
    desc = "Stale flags after the unlock, flags changing under a reader, or new flags too early.")
@State
public class LockVmaUnderRcuSeesWriterChanges {

  private final MmStruct mm = MmHarness.newMm();
  private final int seqBefore;

  /** Maps {@code [A, A+p)} read-only and records {@code mm_lock_seq}. */
  public LockVmaUnderRcuSeesWriterChanges() {
    mm.mmap(A, PAGE, R);
    seqBefore = mm.mmLockSeq();
  }

  /** {@code mprotect(A, p, rw)}: one write period, changes only {@code vm_flags}. */
  @Actor
  public void writer() {
    mm.mprotect(A, PAGE, RW);
  }

  /** Lock, read flags, read {@code mm_lock_seq}, read flags again, unlock. */
  @Actor
  public void reader(IIII_Result r) {
    VmArea vma = mm.lockVmaUnderRcu(A);
    if (vma == null) {
      r.r1 = 0;
      r.r2 = -1;
      r.r3 = -1;
      r.r4 = -1;
      return;
    }
    try {
      int first = classify(vma.flags());
      int phase = mm.mmLockSeq() - seqBefore;
      int second = classify(vma.flags());
      r.r1 = 1;
      r.r2 = phase;
      r.r3 = first;
      r.r4 = second;
    } finally {
      vma.endRead();
    }
  }

  private static int classify(long flags) {
    long bits = flags & RW;
    if (bits == R) {
      return 0;
    }
    return bits == RW ? 1 : 2;
  }
}
