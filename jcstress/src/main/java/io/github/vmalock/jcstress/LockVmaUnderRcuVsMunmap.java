package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@code lockVmaUnderRcu} against {@code munmap} of the VMA (F2, F6).
 *
 * <p>The reader never gets a detached VMA or one not covering its address, and the unmap never
 * completes while the reader holds the VMA: the writer publishes "unmapped" after {@code munmap}
 * returns, and a reader holding the VMA must not see it. After {@code munmap} returns, the removed
 * VMA's {@code vm_refcnt} is 0 (detached, no reader inside, F6).
 *
 * <p>r1: the writer's check after {@code munmap}: 0 = the VMA's refcount is 0, 1 = it is not. r2:
 * the reader: 0 null, 1 got the VMA, plus 32 if it saw the unmap completed while holding it, plus
 * {@link MmHarness#checkHeld} bits.
 *
 * <p>Invariants cited here: see docs/invariants.md#f2, docs/invariants.md#f6.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c lock_vma_under_rcu(): 'vma_start_read() ... returns ERR_PTR(-EAGAIN) if the"
        + " VMA is detached' and the range re-check after locking; vma_mark_detached() waits for"
        + " transient readers (__vma_exclude_readers_for_detach). A detached VMA is never returned"
        + " (F2) and munmap never completes while a reader holds the VMA (F6).")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader found no VMA or could not lock it.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader held the VMA before the unmap.")
@Outcome(
    expect = FORBIDDEN,
    desc =
        "A detached or wrong VMA returned, the unmap finished under a reader, or a refcount left.")
@State
public class LockVmaUnderRcuVsMunmap {

  private final MmStruct mm = MmHarness.newMm();
  private final VmArea mapped;
  private volatile int unmapped;

  /** Maps the VMA the actors race on. */
  public LockVmaUnderRcuVsMunmap() {
    mapped = mm.mmap(A, PAGE, RW);
  }

  /** {@code munmap} the whole VMA; check it came out detached. */
  @Actor
  public void writer(II_Result r) {
    mm.munmap(A, PAGE);
    unmapped = 1;
    r.r1 = mapped.refcnt() == 0 ? 0 : 1;
  }

  /** {@code lock_vma_under_rcu}; while holding the VMA, the unmap must not have completed. */
  @Actor
  public void reader(II_Result r) {
    VmArea vma = mm.lockVmaUnderRcu(A);
    if (vma == null) {
      r.r2 = 0;
      return;
    }
    try {
      int result = 1 | MmHarness.checkHeld(mm, vma, A);
      if (unmapped != 0) {
        result |= 32;
      }
      r.r2 = result;
    } finally {
      vma.endRead();
    }
  }
}
