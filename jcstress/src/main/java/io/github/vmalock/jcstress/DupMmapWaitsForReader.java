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
 * {@code lockVmaUnderRcu} against {@code dupMmap} (fork's {@code dup_mmap}) of its mm (F6).
 *
 * <p>{@code dup_mmap} write-locks every parent VMA ({@code vma_start_write_killable}) before
 * copying it, so the fork never completes while a reader holds a parent VMA, and the child is a
 * whole copy.
 *
 * <p>The reader classifies its hold by {@code mm_lock_seq} read just after it got the VMA: still
 * the value after the set-up, or odd (the fork holds the mmap write lock), means the fork had not
 * finished when the reader got the VMA, so it must not finish before the reader lets go; an even,
 * later value means the fork had already finished (the VMA was lockable again afterwards).
 *
 * <p>r1: the forking actor: 0 = the child has the parent's one VMA, 1 = it does not. r2: the
 * reader: 0 found no lockable VMA (the fork had it write-locked), 1 held it before or during the
 * fork, 2 held it after the fork; plus 256 times the violations: {@link MmHarness#checkHeld} bits
 * (2, 4, 8, 16), 32 the fork completed while a reader that got the VMA before it held it.
 *
 * <p>Invariants cited here: see docs/invariants.md#f6.
 */
@JCStressTest
@Description(
    "mm/mmap.c dup_mmap(): for_each_vma ... vma_start_write_killable(mpnt) under"
        + " mmap_write_lock_killable(oldmm): fork waits out the readers of every parent VMA.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The fork had the VMA write-locked: no lock.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader held the VMA; the fork waited.")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "The reader got the VMA after the fork.")
@Outcome(
    expect = FORBIDDEN,
    desc = "The fork completed under a reader, the child is not a copy, or a bad VMA was held.")
@State
public class DupMmapWaitsForReader {

  private final MmStruct mm = MmHarness.newMm();
  private final int seqAfterSetUp;
  private volatile int forked;

  /** Maps the parent's VMA. */
  public DupMmapWaitsForReader() {
    mm.mmap(A, PAGE, RW);
    seqAfterSetUp = mm.mmLockSeq();
  }

  /** {@code fork()}: copies the mm; the child is closed at once ({@code exit}). */
  @Actor
  public void fork(II_Result r) {
    try (MmStruct child = mm.dupMmap()) {
      forked = 1;
      r.r1 = child.mapCount() == 1 && child.dumpMaps().equals(mm.dumpMaps()) ? 0 : 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      r.r1 = 1;
    }
  }

  /** Holds the parent's VMA; while held, the fork must not have completed. */
  @Actor
  public void reader(II_Result r) {
    VmArea vma = mm.lockVmaUnderRcu(A);
    if (vma == null) {
      r.r2 = 0;
      return;
    }
    try {
      int seq = mm.mmLockSeq();
      boolean beforeFork = seq == seqAfterSetUp || (seq & 1) != 0;
      int bad = MmHarness.checkHeld(mm, vma, A);
      if (beforeFork && forked != 0) {
        bad |= 32;
      }
      r.r2 = (beforeFork ? 1 : 2) + 256 * bad;
    } finally {
      vma.endRead();
    }
  }
}
