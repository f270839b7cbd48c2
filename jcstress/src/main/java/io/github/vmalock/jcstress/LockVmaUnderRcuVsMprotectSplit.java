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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@code lockVmaUnderRcu} against {@code mprotect} splitting the VMA under the address (F1).
 *
 * <p>The VMA {@code [A, A+2p)} is read-only; the writer makes its upper page writable, which splits
 * it into {@code [A, A+p) r} and {@code [A+p, A+2p) rw}; as the kernel's {@code __split_vma} may,
 * the model keeps the old object for one part (here the upper one) and allocates a new one for the
 * other. The reader keeps locking the VMA at {@code A}: it gets either the whole read-only VMA
 * (before the split) or the lower read-only VMA (after), and never the old object once it has
 * shrunk away from {@code A}, nor a VMA with a mix of old and new fields.
 *
 * <p>The writer splits as soon as the reader stalls inside an attempt ({@link
 * MmHarness#awaitReaderStall}) and leaves the split layout in place: a reader stalled between its
 * tree walk (which found the whole VMA) and its refcount increment resumes on the old object, now
 * {@code [A+p, A+2p)}, attached and no longer write-locked; only the range re-check turns it away.
 *
 * <p>r1: the reader's violations, or-ed: 1 a VMA of any other shape, plus 2 &times; {@link
 * MmHarness#checkHeld} bits. r2: the last VMA the reader got: 0 none, 1 {@code [A, A+2p) r}, 2
 * {@code [A, A+p) r}. r3: the writer's view of the layout afterwards (1 = two VMAs as expected).
 * r4: the arbiter's quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f1.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c lock_vma_under_rcu(): 'Check if the vma we locked is the right one' (address"
        + " outside [vm_start, vm_end) after vma_start_read() => vma_end_read(), return NULL);"
        + " mm/vma.c __split_vma() write-locks the VMA (vma_start_write) before changing vm_start or"
        + " vm_end. A VMA not covering the address is never returned (F1).")
@Outcome(
    id = "0, 0, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader never got the VMA (write-locked, contended).")
@Outcome(
    id = "0, 1, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader's last VMA was the one before the split.")
@Outcome(
    id = "0, 2, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader's last VMA was the lower one after it.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A VMA not covering A, a torn VMA, a wrong layout, or a leaked lock/reference.")
@State
public class LockVmaUnderRcuVsMprotectSplit {

  /** Upper bound on reader attempts per state. */
  static final int MAX_READS = 1 << 14;

  private final MmStruct mm = MmHarness.newMm();
  private volatile int attempts;
  private volatile int writerDone;

  /** Maps {@code [A, A+2p)} read-only. */
  public LockVmaUnderRcuVsMprotectSplit() {
    mm.mmap(A, 2 * PAGE, R);
  }

  /** Waits for a reader stall, then {@code mprotect(A+p, p, rw)}: splits the VMA. */
  @Actor
  public void writer(IIII_Result r) {
    MmHarness.awaitReaderStall(() -> attempts);
    mm.mprotect(A + PAGE, PAGE, RW);
    writerDone = 1;
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
              && high.end() == A + 2 * PAGE
              && (high.flags() & RW) == RW;
      r.r3 = ok ? 1 : 0;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** {@code lock_vma_under_rcu(A)} until the writer is done; classifies every VMA it gets. */
  @Actor
  public void reader(IIII_Result r) {
    int bad = 0;
    int last = 0;
    int n = 0;
    do {
      attempts = n + 1;
      VmArea vma = mm.lockVmaUnderRcu(A);
      if (vma != null) {
        long start = vma.start();
        long end = vma.end();
        long flags = vma.flags() & RW;
        if (start == A && end == A + 2 * PAGE && flags == R) {
          last = 1;
        } else if (start == A && end == A + PAGE && flags == R) {
          last = 2;
        } else {
          bad |= 1;
        }
        bad |= MmHarness.checkHeld(mm, vma, A) << 1;
        vma.endRead();
      }
    } while (writerDone == 0 && ++n < MAX_READS);
    r.r1 = bad;
    r.r2 = last;
  }

  /** After both: no lock and no read reference left behind. */
  @Arbiter
  public void arbiter(IIII_Result r) {
    r.r4 = MmHarness.quiescent(mm);
  }
}
