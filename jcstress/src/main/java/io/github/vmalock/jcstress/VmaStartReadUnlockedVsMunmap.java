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
 * {@code vmaStartReadUnlocked} against {@code munmap}: null, or a VMA that is attached and covers
 * the address.
 *
 * <p>To make the slow path meet the unmap, the writer first holds the VMA write-locked until the
 * reader is queued on {@code mmap_lock} (bounded wait): the reader's fast path has then failed on
 * this VMA. The writer releases the lock and calls {@code munmap} at once, which usually takes the
 * (non-fair) {@code mmap_lock} before the queued reader wakes up. The reader's slow path then looks
 * the address up again and must find nothing: v2 of the series' slow path calls {@code
 * vma_start_read_locked} on that NULL, and a slow path that reuses the fast path's VMA returns the
 * stale, detached one.
 *
 * <p>r1: the writer's check after {@code munmap} (0 = the VMA's refcount is 0). r2: the reader: 0
 * null, 1 got the VMA, plus 32 if it saw the unmap completed while holding it, plus {@link
 * MmHarness#checkHeld} bits. r3: the arbiter's quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#f9.
 */
@JCStressTest
@Description(
    "The series' vma_start_read_unlocked() slow path: mmap_read_lock(); vma = vma_lookup(mm, addr);"
        + " if (!vma) { mmap_read_unlock(); return NULL; } vma_start_read_locked(vma);"
        + " mmap_read_unlock(). The v2 posting called vma_start_read_locked() on the NULL lookup"
        + " result; the slow path must also never reuse the VMA its failed fast path saw (F9).")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "The address was unmapped: null.")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "The reader held the VMA before the unmap.")
@Outcome(
    expect = FORBIDDEN,
    desc = "A detached or stale VMA, the unmap finished under the reader, mmap_lock held, a leak.")
@State
public class VmaStartReadUnlockedVsMunmap {

  private final MmStruct mm = MmHarness.newMm();
  private final VmArea mapped;
  private volatile int unmapped;

  /** Maps the VMA the actors race on. */
  public VmaStartReadUnlockedVsMunmap() {
    mapped = mm.mmap(A, PAGE, RW);
  }

  /** Holds the VMA write-locked until the reader queues, then unmaps it. */
  @Actor
  public void writer(III_Result r) {
    MmHarness.holdVmaWriteLockedUntilMmapLockWaiter(mm, A);
    mm.munmap(A, PAGE);
    unmapped = 1;
    r.r1 = mapped.refcnt() == 0 ? 0 : 1;
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
      int result = 1 | MmHarness.checkHeld(mm, vma, A);
      if (unmapped != 0) {
        result |= 32;
      }
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
