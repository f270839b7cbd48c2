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
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@code vmaStartReadUnlocked} against {@code mprotect} splitting the VMA while the reader waits in
 * its slow path (F9).
 *
 * <p>The writer holds the read-only VMA {@code [A, A+2p)} write-locked until the reader is queued
 * on {@code mmap_lock} (bounded wait), so the reader's fast path has failed on it; then it releases
 * the lock and at once {@code mprotect}s the upper page writable, which usually takes the
 * (non-fair) {@code mmap_lock} before the queued reader wakes up. The split leaves the old object
 * on {@code [A+p, A+2p)} (still attached, same mm) and puts a new VMA on {@code [A, A+p)}. The slow
 * path must look {@code A} up again under {@code mmap_lock} and return the new lower VMA; a slow
 * path that reuses the VMA its failed fast path saw returns the old object, which no longer covers
 * {@code A}.
 *
 * <p>r1: the reader: 1 {@code [A, A+2p) r}, 2 {@code [A, A+p) r}, 3 any other shape, plus 4 &times;
 * {@link MmHarness#checkHeld} bits (0 = null, forbidden: {@code A} stays mapped). r2: the writer
 * saw the layout it expects afterwards (1). r3: the arbiter's quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f1, docs/invariants.md#f9.
 */
@JCStressTest
@Description(
    "The series' vma_start_read_unlocked() slow path takes mmap_read_lock() and looks the address up"
        + " again with vma_lookup() before vma_start_read_locked(): a VMA seen by the failed"
        + " lock-free attempt may have been split (mm/vma.c __split_vma()) in between, so reusing it"
        + " returns a VMA not covering the address (F9, F1).")
@Outcome(
    id = "1, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader got the whole VMA before the split.")
@Outcome(
    id = "2, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader got the lower VMA after the split.")
@Outcome(
    expect = FORBIDDEN,
    desc = "Null while mapped, the stale upper VMA, a wrong shape, mmap_lock held, or a leak.")
@State
public class VmaStartReadUnlockedVsMprotectSplit {

  private final MmStruct mm = MmHarness.newMm();

  /** Maps {@code [A, A+2p)} read-only. */
  public VmaStartReadUnlockedVsMprotectSplit() {
    mm.mmap(A, 2 * PAGE, R);
  }

  /** Holds the VMA write-locked until the reader queues, then splits it. */
  @Actor
  public void writer(III_Result r) {
    MmHarness.holdVmaWriteLockedUntilMmapLockWaiter(mm, A);
    mm.mprotect(A + PAGE, PAGE, RW);
    mm.mmapReadLock();
    try {
      VmArea low = mm.vmaLookup(A);
      VmArea high = mm.vmaLookup(A + PAGE);
      boolean ok =
          low != null
              && high != null
              && low != high
              && low.end() == A + PAGE
              && (low.flags() & RW) == R
              && high.start() == A + PAGE
              && (high.flags() & RW) == RW;
      r.r2 = ok ? 1 : 0;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** {@code vma_start_read_unlocked(A)}; classify what it returns; {@code vma_end_read}. */
  @Actor
  public void reader(III_Result r) {
    VmArea vma = mm.vmaStartReadUnlocked(A);
    if (vma == null) {
      r.r1 = 0;
      return;
    }
    try {
      long start = vma.start();
      long end = vma.end();
      long flags = vma.flags() & RW;
      int shape;
      if (start == A && end == A + 2 * PAGE && flags == R) {
        shape = 1;
      } else if (start == A && end == A + PAGE && flags == R) {
        shape = 2;
      } else {
        shape = 3;
      }
      r.r1 = shape | MmHarness.checkHeld(mm, vma, A) << 2;
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
