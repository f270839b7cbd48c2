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
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@code lockVmaUnderRcu} against a recycled {@code VmArea} (F1, F3).
 *
 * <p>Two mms share one {@link VmAreaCache}, which hands the last freed {@code VmArea} out again at
 * once (the kernel's {@code SLAB_TYPESAFE_BY_RCU} cache), so the recycling below is deterministic.
 * The reader keeps calling {@code mm1.lockVmaUnderRcu(A)}: every VMA it gets must belong to mm1,
 * cover A, and be attached. The writer waits until the reader stalls inside an attempt ({@link
 * MmHarness#awaitReaderStall}), then moves the one VMA object in one step and leaves it there:
 * alternate states unmap it from mm1 at A and map it at once in mm2 at A (same range, another mm:
 * only the {@code vm_mm} re-check stops the stalled reader), or in mm1 at B (same mm, another
 * range: only the range re-check stops it). A reader stalled between its tree walk (which found the
 * object at A in mm1) and its refcount increment then resumes on the recycled object, attached and
 * not write-locked, which is exactly the case the two re-checks exist for.
 *
 * <p>r1: the reader's violations ({@link MmHarness#checkHeld} bits, or-ed). r2: whether it got the
 * VMA at least once (0/1). r3: the arbiter's quiescence check of both mms. r4: the writer's check
 * that the cache handed the same object out again (1).
 *
 * <p>Invariants cited here: see docs/invariants.md#f1, docs/invariants.md#f3.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'If vma got attached to another mm from under us, that mm"
        + " is not stable ...' (the vm_mm check, with mmgrab), and lock_vma_under_rcu(): 'Check if"
        + " the vma we locked is the right one.' (the range re-check). With a SLAB_TYPESAFE_BY_RCU"
        + " cache a recycled VMA of another mm or another range is never returned (F1, F3).")
@Outcome(
    id = "0, 0, 0, 1",
    expect = ACCEPTABLE,
    desc = "The reader never got the VMA (it moved before the first attempt).")
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "Every VMA the reader got was mm1's, at A.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A recycled VMA of another mm or range, a detached one, a leak, or no recycling.")
@State
public class LockVmaUnderRcuVsRecycledVma {

  /** Upper bound on reader attempts per state. */
  static final int MAX_READS = 1 << 14;

  /** Alternates the recycling target between states. */
  private static final AtomicInteger STATES = new AtomicInteger();

  private final VmAreaCache cache = new VmAreaCache();
  private final MmStruct mm1 = MmHarness.newMm(cache);
  private final MmStruct mm2 = MmHarness.newMm(cache);
  private final boolean toOtherMm = (STATES.getAndIncrement() & 1) == 0;
  private final VmArea original;
  private volatile int attempts;
  private volatile int writerDone;

  /** Maps the VMA at A in mm1. */
  public LockVmaUnderRcuVsRecycledVma() {
    original = mm1.mmap(A, PAGE, RW);
  }

  /** Waits for a reader stall, then recycles the VMA to mm2 at A or to mm1 at B. */
  @Actor
  public void writer(IIII_Result r) {
    MmHarness.awaitReaderStall(() -> attempts);
    mm1.munmap(A, PAGE);
    VmArea recycled = toOtherMm ? mm2.mmap(A, PAGE, RW) : mm1.mmap(B, PAGE, RW);
    writerDone = 1;
    r.r4 = recycled == original ? 1 : 0;
  }

  /** {@code mm1.lockVmaUnderRcu(A)} until the writer is done; checks every VMA it gets. */
  @Actor
  public void reader(IIII_Result r) {
    int bad = 0;
    int got = 0;
    int n = 0;
    do {
      attempts = n + 1;
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
  public void arbiter(IIII_Result r) {
    r.r3 = MmHarness.quiescent(mm1) | MmHarness.quiescent(mm2) << 1;
  }
}
