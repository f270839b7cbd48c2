package io.github.vmalock.jcstress;

import static io.github.vmalock.jcstress.MmHarness.A;
import static io.github.vmalock.jcstress.MmHarness.B;
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
 * {@code lockVmaUnderRcu} against {@code mremap(MREMAP_MAYMOVE | MREMAP_FIXED)} moving the VMA from
 * {@code A} to {@code B} (F1, F2).
 *
 * <p>A reader that holds the VMA at one place never finds it at the other, and the move never
 * completes while a reader holds the source ({@code move_vma} write-locks it first). A reader that
 * can lock neither place (both are write-locked during the move) retries under {@code mmap_lock},
 * as a fault does, and then finds it at exactly one place.
 *
 * <p>r1: the writer: 0 = {@code mremap} returned {@code B}. r2: the reader: 1 held it at {@code A},
 * 2 held it at {@code B}, 3 under {@code mmap_lock} found it at {@code A} only, 4 at {@code B}
 * only; plus 256 times the violations: {@link MmHarness#checkHeld} bits (2, 4, 8, 16), 32 found at
 * both places, 64 at neither under {@code mmap_lock}, 128 the move completed while the source was
 * held.
 *
 * <p>Invariants cited here: see docs/invariants.md#f1, docs/invariants.md#f2.
 */
@JCStressTest
@Description(
    "mm/mremap.c move_vma(): 'We don't want racing faults': vma_start_write() on the source before"
        + " copy_vma(); the new VMA is created write-locked. A reader never holds the VMA at both"
        + " places, and under mmap_lock sees it at exactly one.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader held the VMA at A before the move.")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "The reader held the VMA at B after the move.")
@Outcome(
    id = "0, 3",
    expect = ACCEPTABLE,
    desc = "Neither place lockable (move in progress); under mmap_lock: at A (before).")
@Outcome(
    id = "0, 4",
    expect = ACCEPTABLE,
    desc = "Neither place lockable (move in progress); under mmap_lock: at B (after).")
@Outcome(
    expect = FORBIDDEN,
    desc = "Seen at both places or neither, the move finished under a reader, or a bad VMA held.")
@State
public class LockVmaUnderRcuVsMremap {

  private final MmStruct mm = MmHarness.newMm();
  private volatile int moved;

  /** Maps the VMA the actors race on, at {@code A}. */
  public LockVmaUnderRcuVsMremap() {
    mm.mmap(A, PAGE, RW);
  }

  /** Moves the VMA from {@code A} to {@code B}. */
  @Actor
  public void writer(II_Result r) {
    long to = mm.mremap(A, PAGE, PAGE, MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED, B);
    moved = 1;
    r.r1 = to == B ? 0 : 1;
  }

  /** Looks for the VMA at both places, lock-free first, then under {@code mmap_lock}. */
  @Actor
  public void reader(II_Result r) {
    VmArea a = mm.lockVmaUnderRcu(A);
    if (a != null) {
      try {
        int bad = MmHarness.checkHeld(mm, a, A);
        VmArea b = mm.lockVmaUnderRcu(B);
        if (b != null) {
          b.endRead();
          bad |= 32;
        }
        if (moved != 0) {
          bad |= 128;
        }
        r.r2 = 1 + 256 * bad;
      } finally {
        a.endRead();
      }
      return;
    }
    VmArea b = mm.lockVmaUnderRcu(B);
    if (b != null) {
      try {
        r.r2 = 2 + 256 * MmHarness.checkHeld(mm, b, B);
      } finally {
        b.endRead();
      }
      return;
    }
    mm.mmapReadLock();
    try {
      boolean atA = mm.vmaLookup(A) != null;
      boolean atB = mm.vmaLookup(B) != null;
      r.r2 = atA == atB ? 3 + 256 * (atA ? 32 : 64) : (atA ? 3 : 4);
    } finally {
      mm.mmapReadUnlock();
    }
  }
}
