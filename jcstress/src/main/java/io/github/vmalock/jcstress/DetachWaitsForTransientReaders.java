package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
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
 * Detach waits for transient readers (F6).
 *
 * <p>A transient reader is one whose refcount increment lands on a VMA it must not keep: already
 * write-locked (it passed the early {@code vm_lock_seq} check just before the writer marked the
 * VMA), or recycled into another mm (its early check compared against its own mm's sequence, so it
 * passes). It backs out a moment later, but {@code vma_mark_detached} must wait for it before the
 * VMA counts as detached and goes back to the cache. Two mms share a recycling cache; the writer
 * moves the one VMA object between mm1 and mm2 at the same address, and after every {@code munmap}
 * checks that the removed VMA's {@code vm_refcnt} is 0. The reader keeps locking address A in mm1,
 * so its stale references hit the object while it is being detached from mm2 (or mm1).
 *
 * <p><b>Stopping at the first bad detach.</b> A detach that returns with a transient reader inside
 * (the {@code DETACH_NO_WAIT} variant) frees the object with that reader's reference still in its
 * count. Mapping it again would let the reader's late {@code vma_refcount_put} land on the
 * re-attached VMA: its count drops from 1 to 0 (or {@code vma_init}'s reset is undone to -1) while
 * it is in mm1's tree. {@code lock_vma_under_rcu} then sees an increment from 0 refused as
 * "detached under us" (-EAGAIN) and walks the tree again, finding the same VMA, forever: the
 * kernel's {@code goto retry} has no bound either, since a detached VMA is never in the tree. So
 * the writer stops recycling as soon as it sees a count that is not 0 after a {@code munmap}: it
 * leaves the object unmapped (the late put then lands on a free object, harmlessly) and the
 * reader's loop ends. The bad detach is reported as r1 within the state's time instead of as a hung
 * fork. Under the faithful protocol the count is always 0 there, so the writer never stops early.
 *
 * <p>r1: the writer's violations (bit 0: refcount not 0 after munmap in mm1, bit 1: in mm2). r2:
 * the reader's violations ({@link MmHarness#checkHeld} bits). r3: the arbiter's quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f6, docs/invariants.md#f7.
 */
@JCStressTest
@Description(
    "include/linux/mmap_lock.h vma_mark_detached(): 'We are the only writer, so no need to use"
        + " vma_refcount_put(). The condition below is unlikely because the vma has been already"
        + " write-locked and readers can increment vm_refcnt only temporarily before they check"
        + " vm_lock_seq, realize the vma is locked and drop back the vm_refcnt' ->"
        + " __vma_exclude_readers_for_detach() waits for them: the count is 0 with no reader inside"
        + " when it returns (F6), before vm_area_free() can recycle the object (F7).")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "Every detach left the VMA at refcount 0.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A detach returned with readers inside (refcount not 0), a bad VMA, or a leak.")
@State
public class DetachWaitsForTransientReaders {

  /** Writer cycles per state; each cycle detaches the object twice. */
  static final int CYCLES = 12;

  /** Upper bound on reader attempts per state. */
  static final int MAX_READS = 1 << 14;

  private final VmAreaCache cache = new VmAreaCache();
  private final MmStruct mm1 = MmHarness.newMm(cache);
  private final MmStruct mm2 = MmHarness.newMm(cache);
  private VmArea current;
  private volatile int writerDone;

  /** Maps the VMA at A in mm1. */
  public DetachWaitsForTransientReaders() {
    current = mm1.mmap(A, PAGE, RW);
  }

  /**
   * Moves the VMA between mm1 and mm2 at A; checks every detach, and stops with the object unmapped
   * at the first one that left a reference behind.
   */
  @Actor
  public void writer(III_Result r) {
    int bad = 0;
    VmArea vma = current;
    for (int i = 0; i < CYCLES && bad == 0; i++) {
      mm1.munmap(A, PAGE);
      if (vma.refcnt() != 0) {
        bad |= 1;
        break;
      }
      vma = mm2.mmap(A, PAGE, RW);
      mm2.munmap(A, PAGE);
      if (vma.refcnt() != 0) {
        bad |= 2;
        break;
      }
      vma = mm1.mmap(A, PAGE, RW);
    }
    current = vma;
    writerDone = 1;
    r.r1 = bad;
  }

  /** {@code mm1.lockVmaUnderRcu(A)} until the writer is done. */
  @Actor
  public void reader(III_Result r) {
    int bad = 0;
    int n = 0;
    do {
      VmArea vma = mm1.lockVmaUnderRcu(A);
      if (vma != null) {
        bad |= MmHarness.checkHeld(mm1, vma, A);
        vma.endRead();
      }
    } while (writerDone == 0 && ++n < MAX_READS);
    r.r2 = bad;
  }

  /** After both: no lock and no read reference left behind in either mm. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = MmHarness.quiescent(mm1) | MmHarness.quiescent(mm2) << 1;
  }
}
