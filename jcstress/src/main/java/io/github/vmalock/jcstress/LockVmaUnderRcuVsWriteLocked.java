package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.PAGE;
import static io.github.vmalock.jcstress.MmHarness.RW;
import static io.github.vmalock.jcstress.MmHarness.SPIN_LIMIT;
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
 * {@code lockVmaUnderRcu} against a writer holding the VMA write-locked: never both inside (F4,
 * I1).
 *
 * <p>The writer takes {@code mmap_write_lock}, write-locks the VMA with {@code vma_start_write} and
 * stays inside for a while, watching for the reader. The reader, if {@code lockVmaUnderRcu} gives
 * it the VMA, announces itself and looks for the writer. Each side clears its flag before leaving,
 * so with mutual exclusion neither sees the other; any overlap is seen by at least one side (the
 * flags are volatile: a store-then-load pair on each side).
 *
 * <p>r1: the writer saw the reader inside (0/1). r2: the reader's result: -1 null, 0 got the VMA
 * and saw no writer, 1 saw the writer inside, plus {@link MmHarness#checkHeld} bits. r3: the
 * arbiter's quiescence check (0 = every lock and reference released).
 *
 * <p>Invariants cited here: see docs/invariants.md#i1, docs/invariants.md#f4.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'Check before locking. A race might cause false locked"
        + " result' and the acquire re-check of vm_lock_seq against mm_lock_seq after the limited"
        + " refcount increment: a VMA write-locked by vma_start_write() is never returned by"
        + " lock_vma_under_rcu() (F4); reader and writer are never both inside (I1).")
@Outcome(
    id = "0, -1, 0",
    expect = ACCEPTABLE,
    desc = "lockVmaUnderRcu returned null (write-locked or contended): the caller falls back.")
@Outcome(
    id = "0, 0, 0",
    expect = ACCEPTABLE,
    desc = "The reader got the VMA before or after the writer's section, never during it.")
@Outcome(
    expect = FORBIDDEN,
    desc = "Reader and writer inside at once, a VMA not covering the address, or a leaked lock.")
@State
public class LockVmaUnderRcuVsWriteLocked {

  private final MmStruct mm = MmHarness.newMm();
  private volatile int writerInside;
  private volatile int readerInside;

  /** Maps the VMA the actors race on. */
  public LockVmaUnderRcuVsWriteLocked() {
    mm.mmap(A, 2 * PAGE, RW);
  }

  /** {@code mmap_write_lock}; {@code vma_start_write}; stay inside; {@code mmap_write_unlock}. */
  @Actor
  public void writer(III_Result r) {
    r.r1 =
        MmHarness.withVmaWriteLocked(
            mm,
            A,
            () -> {
              writerInside = 1;
              int seen = 0;
              for (int i = 0; i < SPIN_LIMIT / 64 && seen == 0; i++) {
                seen = readerInside;
                Thread.onSpinWait();
              }
              writerInside = 0;
              return seen;
            });
  }

  /** {@code lock_vma_under_rcu}; if it succeeds, look for the writer; {@code vma_end_read}. */
  @Actor
  public void reader(III_Result r) {
    VmArea vma = mm.lockVmaUnderRcu(A + PAGE);
    if (vma == null) {
      r.r2 = -1;
      return;
    }
    try {
      readerInside = 1;
      int seen = writerInside;
      readerInside = 0;
      r.r2 = seen | MmHarness.checkHeld(mm, vma, A + PAGE);
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
