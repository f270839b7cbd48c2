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
 * {@code lockVmaUnderRcu} against {@code mprotect} splitting the VMA under the address (F1).
 *
 * <p>The VMA {@code [A, A+2p)} is read-only; the writer makes its upper page writable, which splits
 * it into {@code [A, A+p) r} and {@code [A+p, A+2p) rw}; as the kernel's {@code __split_vma} may,
 * the model keeps the old object for one part (here the upper one) and allocates a new one for the
 * other. The reader locks the VMA at {@code A}: it gets either the whole read-only VMA (before the
 * split) or the lower read-only VMA (after), and never the old object once it has shrunk away from
 * {@code A}, nor a VMA with a mix of old and new fields.
 *
 * <p>r1: the reader: 0 null, 1 {@code [A, A+2p) r}, 2 {@code [A, A+p) r}, 3 any other shape, plus 4
 * &times; {@link MmHarness#checkHeld} bits. r2: the writer's view of the layout afterwards (1 = two
 * VMAs as expected). r3: the arbiter's quiescence check.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c lock_vma_under_rcu(): 'Check if the vma we locked is the right one' (address"
        + " outside [vm_start, vm_end) after vma_start_read() => vma_end_read(), return NULL);"
        + " mm/vma.c __split_vma() write-locks the VMA (vma_start_write) before changing vm_start or"
        + " vm_end. A VMA not covering the address is never returned (F1).")
@Outcome(
    id = "0, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader got null (write-locked, contended).")
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "The reader got the VMA before the split.")
@Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "The reader got the lower VMA after it.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A VMA not covering A, a torn VMA, a wrong layout, or a leaked lock/reference.")
@State
public class LockVmaUnderRcuVsMprotectSplit {

  private final MmStruct mm = MmHarness.newMm();

  /** Maps {@code [A, A+2p)} read-only. */
  public LockVmaUnderRcuVsMprotectSplit() {
    mm.mmap(A, 2 * PAGE, R);
  }

  /** {@code mprotect(A+p, p, rw)}: splits the VMA. */
  @Actor
  public void writer(III_Result r) {
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
              && high.end() == A + 2 * PAGE
              && (high.flags() & RW) == RW;
      r.r2 = ok ? 1 : 0;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** {@code lock_vma_under_rcu(A)}: classify the VMA it returns. */
  @Actor
  public void reader(III_Result r) {
    VmArea vma = mm.lockVmaUnderRcu(A);
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
