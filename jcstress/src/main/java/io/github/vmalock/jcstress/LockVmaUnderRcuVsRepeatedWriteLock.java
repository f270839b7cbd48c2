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
 * {@code lockVmaUnderRcu} against a writer that write-locks the VMA over and over (F4, I1).
 *
 * <p>The looping form of {@link LockVmaUnderRcuVsWriteLocked}. The dangerous interleaving needs the
 * reader to pass the early {@code vm_lock_seq} check, stall, and increment the refcount after the
 * writer has marked the VMA and dropped the exclude-readers flag; only the acquire re-check of the
 * sequence then refuses it. A stall of the reader (preemption) is rare at any one point, so both
 * actors loop: the writer holds the VMA write-locked for about half of its time, and every reader
 * stall in that window meets it. Each side publishes a volatile "inside" flag and looks for the
 * other's; each clears its flag before leaving.
 *
 * <p>r1: the writer saw the reader inside (0/1). r2: the reader saw the writer inside (1), plus
 * {@link MmHarness#checkHeld} bits. r3: the arbiter's quiescence check.
 *
 * <p>Invariants cited here: see docs/invariants.md#i1, docs/invariants.md#f4.
 */
@JCStressTest
@Description(
    "mm/mmap_lock.c vma_start_read(): 'Check before locking. A race might cause false locked"
        + " result.' then, after the acquire increment, the re-check of vm_lock_seq against"
        + " mm_lock_seq that refuses a reader which slipped in after vma_start_write(): 'False"
        + " unlocked result is impossible' (F4, I1).")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "Reader and writer never inside together.")
@Outcome(
    expect = FORBIDDEN,
    desc = "Reader and writer inside at once, a wrong VMA, or a leaked lock/reference.")
@State
public class LockVmaUnderRcuVsRepeatedWriteLock {

  /** Write-lock periods per state. */
  static final int ROUNDS = 16;

  /** Spins the writer stays inside each period. */
  static final int HOLD = 64;

  /** Upper bound on reader attempts per state. */
  static final int MAX_READS = 1 << 14;

  private final MmStruct mm = MmHarness.newMm();
  private volatile int writerInside;
  private volatile int readerInside;
  private volatile int writerDone;

  /** Maps the VMA the actors race on. */
  public LockVmaUnderRcuVsRepeatedWriteLock() {
    mm.mmap(A, PAGE, RW);
  }

  /** ROUNDS times: {@code mmap_write_lock}, {@code vma_start_write}, stay inside, unlock. */
  @Actor
  public void writer(III_Result r) {
    int seen = 0;
    for (int round = 0; round < ROUNDS; round++) {
      seen |=
          MmHarness.withVmaWriteLocked(
              mm,
              A,
              () -> {
                writerInside = 1;
                int s = 0;
                for (int i = 0; i < HOLD; i++) {
                  s |= readerInside;
                  Thread.onSpinWait();
                }
                writerInside = 0;
                return s;
              });
      for (int i = 0; i < HOLD; i++) {
        Thread.onSpinWait();
      }
    }
    writerDone = 1;
    r.r1 = seen;
  }

  /** {@code lock_vma_under_rcu} until the writer is done, looking for the writer each time. */
  @Actor
  public void reader(III_Result r) {
    int result = 0;
    int n = 0;
    do {
      VmArea vma = mm.lockVmaUnderRcu(A);
      if (vma != null) {
        readerInside = 1;
        result |= writerInside;
        readerInside = 0;
        result |= MmHarness.checkHeld(mm, vma, A);
        vma.endRead();
      }
    } while (writerDone == 0 && ++n < MAX_READS);
    r.r2 = result;
  }

  /** After both: no lock and no read reference left behind. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = MmHarness.quiescent(mm);
  }
}
