package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@code vmaStartReadUnlocked} against a writer holding the VMA write-locked (F9).
 *
 * <p>The writer write-locks the VMA and holds it until the reader is queued on {@code mmap_lock}
 * (bounded wait), so the reader's fast path fails and it takes the slow path. The address stays
 * mapped throughout, so the reader must get the VMA: read-locked, covering the address, of this mm,
 * without holding {@code mmap_lock} on return, and never while the writer is inside.
 *
 * <p>r1: the writer saw the reader inside (0/1). r2: the reader: 0 null, 1 got the VMA, plus 32 if
 * it saw the writer inside, plus {@link MmHarness#checkHeld} bits. r3: the arbiter's quiescence
 * check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f9.
 */
@JCStressTest
@Description(
    "The series' vma_start_read_unlocked() (mm: Unconditional per-VMA locks, v2+): fast path"
        + " lock_vma_under_rcu(), else mmap_read_lock(), vma_lookup(), vma_start_read_locked(),"
        + " mmap_read_unlock(). It returns NULL only when no VMA covers the address, returns the VMA"
        + " read-locked without mmap_lock held, and waits for a writer holding the VMA (F9).")
@Outcome(
    id = "0, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader got the VMA, read-locked, after (or before) the writer's section.")
@Outcome(
    expect = FORBIDDEN,
    desc = "Null while mapped, overlap with the writer, a wrong VMA, mmap_lock held, or a leak.")
@State
public class VmaStartReadUnlockedVsWriteLocked {

  private final MmStruct mm = MmHarness.newMm();
  private volatile int writerInside;
  private volatile int readerInside;

  /** Maps the VMA the actors race on. */
  public VmaStartReadUnlockedVsWriteLocked() {
    mm.mmap(A, PAGE, RW);
  }

  /** Write-locks the VMA and holds it until the reader waits for {@code mmap_lock}. */
  @Actor
  public void writer(III_Result r) {
    r.r1 =
        MmHarness.withVmaWriteLocked(
            mm,
            A,
            () -> {
              writerInside = 1;
              MmHarness.awaitMmapLockWaiter(mm);
              int seen = readerInside;
              writerInside = 0;
              return seen;
            });
  }

  /** {@code vma_start_read_unlocked(A)}; checks what it returns; {@code vma_end_read}. */
  @Actor
  public void reader(III_Result r) {
    VmArea vma = mm.vmaStartReadUnlocked(A);
    if (vma == null) {
      r.r2 = 0;
      return;
    }
    try {
      readerInside = 1;
      int result = 1 | MmHarness.checkHeld(mm, vma, A);
      if (writerInside != 0) {
        result |= 32;
      }
      readerInside = 0;
      r.r2 = result;
    } finally {
      vma.endRead();
    }
  }

  /** After both: no lock and no read reference left behind. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = MmHarness.quiescent(mm);
  }
}
