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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@code startWrite} waits for a reader (F5).
 *
 * <p>The state takes a read reference with {@code lockVmaUnderRcu} before the actors start, so a
 * reader is inside whatever the interleaving. The reader actor publishes "released" and then calls
 * {@code endRead}; the writer actor takes {@code mmap_write_lock} and {@code vma_start_write}s the
 * VMA. When {@code startWrite} returns, the reader must have left, so "released" is visible.
 *
 * <p>r1: the writer saw "released" after {@code startWrite} returned (1 required). r2: the VMA's
 * {@code vm_refcnt} seen by the arbiter (1: attached, no reader, no writer flag).
 *
 * <p>Invariants cited here: see docs/invariants.md#f5.
 */
@JCStressTest
@Description(
    "include/linux/mmap_lock.h vma_start_write() -> mm/mmap_lock.c __vma_start_write():"
        + " __vma_start_exclude_readers() sets VM_REFCNT_EXCLUDE_READERS_FLAG and sleeps on"
        + " mm->vma_writer_wait until only the writer's reference is left; the last reader's"
        + " vma_refcount_put() wakes it. vma_start_write() never returns while a reader holds the"
        + " VMA (F5).")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "startWrite returned after the reader left.")
@Outcome(
    expect = FORBIDDEN,
    desc = "startWrite returned while the reader was still inside, or vm_refcnt is unbalanced.")
@State
public class StartWriteWaitsForReader {

  private final MmStruct mm = MmHarness.newMm();
  private final VmArea held;
  private volatile int released;

  /** Maps the VMA and takes a read reference on it. */
  public StartWriteWaitsForReader() {
    mm.mmap(A, PAGE, RW);
    held = mm.lockVmaUnderRcu(A);
    if (held == null) {
      throw new IllegalStateException("lockVmaUnderRcu failed on an uncontended VMA");
    }
  }

  /** Leaves: publishes "released", then {@code vma_end_read}. */
  @Actor
  public void reader() {
    released = 1;
    held.endRead();
  }

  /** {@code mmap_write_lock}; {@code vma_start_write}; must see "released". */
  @Actor
  public void writer(II_Result r) {
    r.r1 = MmHarness.withVmaWriteLocked(mm, A, () -> released);
  }

  /** After both: the VMA is back to one (attach) reference. */
  @Arbiter
  public void arbiter(II_Result r) {
    r.r2 = held.refcnt();
  }
}
