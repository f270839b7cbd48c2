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
 * {@code lockNextVma} against split and merge: the scan never reports a gap or an overlap that did
 * not exist (F11).
 *
 * <p>{@code [A, A+3p)} is mapped read-only for the whole run; a guard VMA sits at {@code A+4p} (a
 * real gap before it). The writer splits the middle page off ({@code mprotect} to read-write) and
 * merges it back ({@code mprotect} to read-only), twice. The reader scans like {@code
 * /proc/pid/maps}: {@code lockNextVma(from)} from {@code A}, then from each VMA's end, until it
 * passes {@code A+3p}. Every address of {@code [A, A+3p)} stays mapped, so each VMA it gets must
 * start at or below {@code from} (no false gap) and end above it (no going backwards or overlap).
 *
 * <p>r1: the reader's violations: bit 0 null inside the range, bit 1 a false gap (start above
 * {@code from}), bit 2 an overlap (end not above {@code from}), bit 3 {@code mmap_lock} held on
 * return. r2: the number of VMAs the scan reported inside the range (1 to 3). r3: the arbiter's
 * quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f11.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c lock_next_vma(): mmap_lock_speculate_try_begin(), vma_start_read(), and when"
        + " the VMA shrank or the speculation failed, lock_next_vma_under_mmap_lock(): 'Lookup the vma"
        + " at the last position again under mmap_read_lock'. The series' cover letter: 'the retry"
        + " mechanism prevents us from reporting possible temporary gaps' (the proc-maps-race"
        + " selftest). A /proc/pid/maps scan never reports a gap that did not exist (F11).")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "Saw the range as one VMA.")
@Outcome(id = "0, 2, 0", expect = ACCEPTABLE, desc = "Saw a split and a merged state.")
@Outcome(id = "0, 3, 0", expect = ACCEPTABLE, desc = "Saw the range split in three.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A false gap, an overlap, a missing VMA, mmap_lock held, or a leaked reference.")
@State
public class LockNextVmaVsSplitMerge {

  private final MmStruct mm = MmHarness.newMm();

  /** Maps {@code [A, A+3p)} read-only and a guard VMA at {@code A+4p}. */
  public LockNextVmaVsSplitMerge() {
    mm.mmap(A, 3 * PAGE, R);
    mm.mmap(A + 4 * PAGE, PAGE, RW);
  }

  /** Splits the middle page off and merges it back, twice. */
  @Actor
  public void writer() {
    for (int i = 0; i < 2; i++) {
      mm.mprotect(A + PAGE, PAGE, RW);
      mm.mprotect(A + PAGE, PAGE, R);
    }
  }

  /** A {@code /proc/pid/maps}-style scan of {@code [A, A+3p)}. */
  @Actor
  public void reader(III_Result r) {
    int bad = 0;
    int seen = 0;
    long from = A;
    while (from < A + 3 * PAGE && seen < 8) {
      VmArea vma = mm.lockNextVma(from);
      if (vma == null) {
        bad |= 1;
        break;
      }
      long start = vma.start();
      long end = vma.end();
      if (mm.mmapLock().getReadHoldCount() != 0) {
        bad |= 8;
      }
      vma.endRead();
      if (start > from) {
        bad |= 2;
      }
      if (end <= from) {
        bad |= 4;
        break;
      }
      seen++;
      from = end;
    }
    r.r1 = bad;
    r.r2 = seen;
  }

  /** After both: no lock and no read reference left behind. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = MmHarness.quiescent(mm);
  }
}
