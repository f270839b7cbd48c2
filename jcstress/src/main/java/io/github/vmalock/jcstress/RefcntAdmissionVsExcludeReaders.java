package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.EXCLUDE_READERS_FLAG;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static io.github.vmalock.jcstress.MmHarness.SPIN_LIMIT;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@code vm_refcnt} admission: no reader is admitted while the exclude-readers flag is set, nor
 * from 0 (F12).
 *
 * <p>The state holds a read reference (taken with {@code lockVmaUnderRcu}), so a writer's {@code
 * vma_start_write} sets {@code VM_REFCNT_EXCLUDE_READERS_FLAG} and waits. The reader actor watches
 * the raw {@code vm_refcnt} until it sees the flag (bounded), then tries {@code lockVmaUnderRcu}:
 * the flag cannot go away before the held reference is dropped, which the reader actor does only
 * after its attempt, so the attempt must fail. Then it drops both references and the writer goes
 * on. Admission from 0 is covered by a stale reference to the unmapped VMA, checked by the arbiter:
 * {@code vma_start_read_locked} on a detached VMA must refuse (return false or throw), never count
 * a reader in.
 *
 * <p>r1: the reader saw the flag (0/1). r2: the reader's attempt was admitted (0/1). r3: the
 * writer's VMA ended with {@code vm_refcnt} 1. r4: the arbiter's admission-from-0 check (0
 * refused).
 *
 * <p>Invariants cited here: see docs/invariants.md#f12.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'If VM_REFCNT_EXCLUDE_READERS_FLAG is set,"
        + " __refcount_inc_not_zero_limited_acquire() will fail because VM_REFCNT_LIMIT is less than"
        + " VM_REFCNT_EXCLUDE_READERS_FLAG.' and an increment from 0 (detached) is refused: no"
        + " reader is admitted while a writer excludes readers, nor into a detached VMA (F12).")
@Outcome(id = "0, 0, 1, 0", expect = ACCEPTABLE, desc = "Flag not seen yet; the attempt failed.")
@Outcome(
    id = "0, 1, 1, 0",
    expect = ACCEPTABLE,
    desc = "Flag not set yet; the reader got in first.")
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "Flag seen; the reader was refused.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A reader admitted under the exclude-readers flag or from 0, or an unbalanced count.")
@State
public class RefcntAdmissionVsExcludeReaders {

  private final MmStruct mm = MmHarness.newMm();
  private final VmArea vma;
  private final VmArea held;

  /** Maps the VMA and takes a read reference on it (the reader actor drops it). */
  public RefcntAdmissionVsExcludeReaders() {
    vma = mm.mmap(A, PAGE, RW);
    held = mm.lockVmaUnderRcu(A);
    if (held == null) {
      throw new IllegalStateException("lockVmaUnderRcu failed on an uncontended VMA");
    }
  }

  /** {@code mmap_write_lock}; {@code vma_start_write} (waits for the held reference); unlock. */
  @Actor
  public void writer(IIII_Result r) {
    MmHarness.writeLockVma(mm, A);
  }

  /** Waits for the flag, tries to get in, then drops every reference. */
  @Actor
  public void reader(IIII_Result r) {
    int seen = 0;
    for (int i = 0; i < SPIN_LIMIT && seen == 0; i++) {
      if ((vma.refcnt() & EXCLUDE_READERS_FLAG) != 0) {
        seen = 1;
      }
      Thread.onSpinWait();
    }
    VmArea got = mm.lockVmaUnderRcu(A);
    r.r1 = seen;
    r.r2 = got != null ? 1 : 0;
    if (got != null) {
      got.endRead();
    }
    held.endRead();
  }

  /** After both: the count is back to 1; then unmap and check that no reader gets in from 0. */
  @Arbiter
  public void arbiter(IIII_Result r) {
    r.r3 = vma.refcnt();
    mm.munmap(A, PAGE);
    int admitted;
    mm.mmapReadLock();
    try {
      admitted = vma.startReadLocked() ? 1 : 0;
    } catch (IllegalStateException | IllegalArgumentException e) {
      admitted = 0; // refused loudly: a detached VMA is not in the tree
    } finally {
      mm.mmapReadUnlock();
    }
    r.r4 = admitted;
  }
}
