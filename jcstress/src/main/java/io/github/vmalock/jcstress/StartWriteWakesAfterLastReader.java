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
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Writer progress: {@code startWrite}, waiting for a reader, returns once that reader calls {@code
 * endRead} (I8: no lost wake-up).
 *
 * <p>The state holds a read reference taken with {@code lockVmaUnderRcu}. The actor write-locks the
 * VMA and so waits for it; the signal drops the read reference. The actor must terminate.
 *
 * <p>Invariants cited here: see docs/invariants.md#i8.
 */
@JCStressTest(Mode.Termination)
@Description(
    "mm/mmap_lock.c vma_refcount_put(): after the decrement, if readers are excluded"
        + " (__vma_are_readers_excluded) rcuwait_wake_up(&mm->vma_writer_wait); the writer in"
        + " __vma_start_exclude_readers() sleeps with rcuwait_wait_event() and must be woken (I8).")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The writer woke up after the reader left.")
@Outcome(expect = FORBIDDEN, desc = "STALE: the writer was never woken (lost wake-up).")
@State
public class StartWriteWakesAfterLastReader {

  private final MmStruct mm = MmHarness.newMm();
  private final VmArea held;

  /** Maps the VMA and takes a read reference on it. */
  public StartWriteWakesAfterLastReader() {
    mm.mmap(A, PAGE, RW);
    held = mm.lockVmaUnderRcu(A);
    if (held == null) {
      throw new IllegalStateException("lockVmaUnderRcu failed on an uncontended VMA");
    }
  }

  /** {@code mmap_write_lock}; {@code vma_start_write} (waits for the reader); unlock. */
  @Actor
  public void writer() {
    MmHarness.writeLockVma(mm, A);
  }

  /** The reader leaves. */
  @Signal
  public void reader() {
    held.endRead();
  }
}
