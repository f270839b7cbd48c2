package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.B;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@code lockVmaUnderRcu} against a recycled {@code VmArea} (F1, F3).
 *
 * <p>Two mms share one {@link VmAreaCache}, which hands a freed {@code VmArea} out again at once
 * (the kernel's {@code SLAB_TYPESAFE_BY_RCU} cache). The writer moves the one VMA object around in
 * a cycle: unmapped from mm1 at A and mapped at once in mm2 at A (same range, another mm: only the
 * {@code vm_mm} re-check stops a stale reader), then back to mm1 at B (same mm, another range: only
 * the range re-check stops it), then to mm1 at A again. The reader keeps calling {@code
 * mm1.lockVmaUnderRcu(A)} until the writer is done: every VMA it gets must belong to mm1, cover A,
 * and be attached. Both actors loop so that a reader held up between its tree walk and its refcount
 * increment (preemption) is likely to find the object recycled.
 *
 * <p>r1: the reader's violations ({@link MmHarness#checkHeld} bits, or-ed). r2: whether it got the
 * VMA at least once (0/1). r3: the arbiter's quiescence check of both mms.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'If vma got attached to another mm from under us, that mm"
        + " is not stable ...' (the vm_mm check, with mmgrab), and lock_vma_under_rcu(): 'Check if"
        + " the vma we locked is the right one.' (the range re-check). With a SLAB_TYPESAFE_BY_RCU"
        + " cache a recycled VMA of another mm or another range is never returned (F1, F3).")
@Outcome(
    id = "0, 0, 0",
    expect = ACCEPTABLE,
    desc = "The reader never got the VMA (always moving).")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "Every VMA the reader got was mm1's, at A.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A recycled VMA of another mm or range, a detached one, or a leaked lock/reference.")
@State
public class LockVmaUnderRcuVsRecycledVma {

  /** Writer cycles per state; each cycle recycles the object three times. */
  static final int CYCLES = 8;

  /** Upper bound on reader attempts per state. */
  static final int MAX_READS = 1 << 14;

  private final VmAreaCache cache = new VmAreaCache();
  private final MmStruct mm1 = MmHarness.newMm(cache);
  private final MmStruct mm2 = MmHarness.newMm(cache);
  private volatile int writerDone;

  /** Maps the VMA at A in mm1. */
  public LockVmaUnderRcuVsRecycledVma() {
    mm1.mmap(A, PAGE, RW);
  }

  /** Recycles the VMA: mm1@A, mm2@A, mm1@B, mm1@A, CYCLES times. */
  @Actor
  public void writer() {
    for (int i = 0; i < CYCLES; i++) {
      mm1.munmap(A, PAGE);
      mm2.mmap(A, PAGE, RW);
      mm2.munmap(A, PAGE);
      mm1.mmap(B, PAGE, RW);
      mm1.munmap(B, PAGE);
      mm1.mmap(A, PAGE, RW);
    }
    writerDone = 1;
  }

  /** {@code mm1.lockVmaUnderRcu(A)} until the writer is done; checks every VMA it gets. */
  @Actor
  public void reader(III_Result r) {
    int bad = 0;
    int got = 0;
    int n = 0;
    do {
      VmArea vma = mm1.lockVmaUnderRcu(A);
      if (vma != null) {
        got = 1;
        bad |= MmHarness.checkHeld(mm1, vma, A);
        vma.endRead();
      }
    } while (writerDone == 0 && ++n < MAX_READS);
    r.r1 = bad;
    r.r2 = got;
  }

  /** After both: no lock and no read reference left behind in either mm. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = MmHarness.quiescent(mm1) | MmHarness.quiescent(mm2) << 1;
  }
}
