package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static io.github.vmalock.jcstress.MmHarness.SPIN_LIMIT;
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
 * {@code mmapWriteDowngrade}: every VMA write lock ends, readers get in, writers stay out.
 *
 * <p>The writer write-locks two VMAs and downgrades. From then on it holds {@code mmap_lock} for
 * read: no VMA counts as write-locked, {@code mm_lock_seq} is even, and no thread holds the lock
 * for write. It keeps the read lock until the reader is done (bounded). The reader waits for the
 * downgrade (bounded), then must get both VMAs with {@code lockVmaUnderRcu} (nothing can refuse it:
 * no writer, no flag) and {@code mmap_read_trylock} must succeed beside the downgraded holder.
 *
 * <p>r1: the writer after downgrading: bit 0 a VMA still write-locked, bit 1 {@code mm_lock_seq}
 * odd, bit 2 the lock still held for write. r2: the reader saw the downgrade (0/1). r3: the reader
 * got both VMAs (1) or not (0), -1 when it did not see the downgrade. r4: its {@code
 * mmap_read_trylock} succeeded (1), -1 when it did not see the downgrade.
 *
 * <p>Invariants cited here: see docs/invariants.md#i4.
 */
@JCStressTest
@Description(
    "include/linux/mmap_lock.h mmap_write_downgrade(): vma_end_write_all(mm) then"
        + " downgrade_write(&mm->mmap_lock): 'Drop all currently-held per-VMA locks.' After it every"
        + " VMA write lock of the period has ended (I4), readers get in and writers stay out.")
@Outcome(
    id = "0, 1, 1, 1",
    expect = ACCEPTABLE,
    desc = "Downgraded: readers get in, no VMA locked.")
@Outcome(id = "0, 0, -1, -1", expect = ACCEPTABLE, desc = "The reader did not see the downgrade.")
@Outcome(
    expect = FORBIDDEN,
    desc =
        "A VMA still write-locked after the downgrade, seq odd, a write hold, or a reader refused.")
@State
public class MmapWriteDowngradeEndsVmaWriteLocks {

  private final MmStruct mm = MmHarness.newMm();
  private volatile int downgraded;
  private volatile int readerDone;

  /** Maps two separate VMAs. */
  public MmapWriteDowngradeEndsVmaWriteLocks() {
    mm.mmap(A, PAGE, RW);
    mm.mmap(A + 2 * PAGE, PAGE, RW);
  }

  /** Write-locks both VMAs, downgrades, checks, holds the read lock while the reader works. */
  @Actor
  public void writer(IIII_Result r) {
    mm.mmapWriteLock();
    VmArea low = mm.vmaLookup(A);
    VmArea high = mm.vmaLookup(A + 2 * PAGE);
    low.startWrite();
    high.startWrite();
    mm.mmapWriteDowngrade();
    try {
      downgraded = 1;
      int bad = 0;
      if (low.isWriteLocked() || high.isWriteLocked()) {
        bad |= 1;
      }
      if ((mm.mmLockSeq() & 1) != 0) {
        bad |= 2;
      }
      if (mm.mmapLock().isWriteLocked()) {
        bad |= 4;
      }
      r.r1 = bad;
      for (int i = 0; i < SPIN_LIMIT && readerDone == 0; i++) {
        Thread.onSpinWait();
      }
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** After the downgrade: both VMAs lockable, {@code mmap_read_trylock} succeeds. */
  @Actor
  public void reader(IIII_Result r) {
    int seen = 0;
    for (int i = 0; i < SPIN_LIMIT && seen == 0; i++) {
      seen = downgraded;
      Thread.onSpinWait();
    }
    r.r2 = seen;
    if (seen == 0) {
      r.r3 = -1;
      r.r4 = -1;
      readerDone = 1;
      return;
    }
    VmArea low = mm.lockVmaUnderRcu(A);
    VmArea high = mm.lockVmaUnderRcu(A + 2 * PAGE);
    r.r3 = low != null && high != null ? 1 : 0;
    if (low != null) {
      low.endRead();
    }
    if (high != null) {
      high.endRead();
    }
    boolean tryLocked = mm.mmapReadTrylock();
    r.r4 = tryLocked ? 1 : 0;
    if (tryLocked) {
      mm.mmapReadUnlock();
    }
    readerDone = 1;
  }
}
