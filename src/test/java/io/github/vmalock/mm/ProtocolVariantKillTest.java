package io.github.vmalock.mm;

import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.variants.ProtocolVariant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Deterministic kills of the known-bad {@link ProtocolVariant}s whose bad interleaving needs a
 * reader stalled between its RCU tree walk and its refcount increment (or between increment and
 * back-out), a window jcstress rarely hits on a small machine. Each test builds the stalled
 * reader's view by hand and shows that the faithful protocol refuses it while the variant lets the
 * bug through. The kill matrix ({@code jcstress/kill-matrix.sh}) runs this class.
 *
 * <p>A stale walk is reproduced by storing the old object back into the tree at the old range under
 * the mmap write lock: exactly what a {@code mas_walk} that began before the writer's change
 * returns.
 *
 * <p>Invariants cited here: see docs/invariants.md#f1, docs/invariants.md#f3,
 * docs/invariants.md#f4, docs/invariants.md#f6.
 */
class ProtocolVariantKillTest {
  private static final long PAGE = MmStruct.PAGE_SIZE;
  private static final long A = 0x4000_0000L;
  private static final long B = 0x8000_0000L;
  private static final long RW = VM_READ | VM_WRITE;

  /** Puts {@code vma} back into {@code mm}'s tree at {@code [start, start + PAGE)}. */
  private static void staleWalkSees(MmStruct mm, long start, VmArea vma) {
    mm.mmapWriteLock();
    try {
      mm.mmMt.storeRange(start, start + PAGE - 1, vma);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /** The recycled-in-another-mm scenario: the object mm1 had at A now belongs to mm2, also at A. */
  private static VmArea lockRecycledInAnotherMm(ProtocolVariant variant, MmStruct[] mms) {
    VmAreaCache cache = new VmAreaCache();
    MmStruct mm1 = MmStruct.builder().cache(cache).protocol(variant.protocol()).build();
    MmStruct mm2 = MmStruct.builder().cache(cache).protocol(variant.protocol()).build();
    mms[0] = mm1;
    mms[1] = mm2;
    VmArea old = mm1.mmap(A, PAGE, RW);
    mm1.munmap(A, PAGE);
    VmArea reused = mm2.mmap(A, PAGE, RW);
    assertThat(reused).as("the cache hands the freed object out at once").isSameAs(old);
    staleWalkSees(mm1, A, old);
    return mm1.lockVmaUnderRcu(A);
  }

  @Test
  @DisplayName("NO_MM_RECHECK: lock_vma_under_rcu returns a recycled VMA of another mm (F3)")
  void noMmRecheckReturnsVmaOfAnotherMm() {
    MmStruct[] mms = new MmStruct[2];
    assertThat(lockRecycledInAnotherMm(ProtocolVariant.FAITHFUL, mms))
        .as("faithful: the vm_mm check refuses the recycled object")
        .isNull();
    assertThat(mms[1].lockVmaUnderRcu(A)).as("and its own mm can still lock it").isNotNull();

    VmArea got = lockRecycledInAnotherMm(ProtocolVariant.NO_MM_RECHECK, mms);
    assertThat(got).as("NO_MM_RECHECK hands the object out").isNotNull();
    assertThat(got.mm()).as("F3: a VMA of another mm").isSameAs(mms[1]).isNotSameAs(mms[0]);
    got.endRead();
  }

  /** The recycled-at-another-range scenario: the object mm had at A now covers B, same mm. */
  private static VmArea lockRecycledAtAnotherRange(ProtocolVariant variant) {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).protocol(variant.protocol()).build();
    VmArea old = mm.mmap(A, PAGE, RW);
    mm.munmap(A, PAGE);
    VmArea reused = mm.mmap(B, PAGE, RW);
    assertThat(reused).as("the cache hands the freed object out at once").isSameAs(old);
    staleWalkSees(mm, A, old);
    return mm.lockVmaUnderRcu(A);
  }

  @Test
  @DisplayName("NO_RANGE_RECHECK: lock_vma_under_rcu returns a VMA not covering the address (F1)")
  void noRangeRecheckReturnsVmaNotCoveringAddress() {
    assertThat(lockRecycledAtAnotherRange(ProtocolVariant.FAITHFUL))
        .as("faithful: the range re-check refuses it")
        .isNull();

    VmArea got = lockRecycledAtAnotherRange(ProtocolVariant.NO_RANGE_RECHECK);
    assertThat(got).as("NO_RANGE_RECHECK hands the object out").isNotNull();
    assertThat(got.contains(A)).as("F1: it does not cover the address").isFalse();
    assertThat(got.start()).isEqualTo(B);
    got.endRead();
  }

  /** A reader tries the VMA while a writer holds it write-locked. */
  private static VmArea lockWhileWriteLocked(ProtocolVariant variant) {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).protocol(variant.protocol()).build();
    mm.mmap(A, PAGE, RW);
    mm.mmapWriteLock();
    try {
      mm.vmaLookup(A).startWrite();
      VmArea got = mm.lockVmaUnderRcu(A); // never blocks: allowed while holding the mmap lock
      if (got != null) {
        assertThat(got.isWriteLocked()).as("F4: a write-locked VMA handed to a reader").isTrue();
        got.endRead();
      }
      return got;
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  @Test
  @DisplayName("NO_SEQ_RECHECK: a reader gets a VMA that is write-locked (F4)")
  void noSeqRecheckAdmitsReaderIntoWriteLockedVma() {
    assertThat(lockWhileWriteLocked(ProtocolVariant.FAITHFUL)).isNull();
    assertThat(lockWhileWriteLocked(ProtocolVariant.NO_SEQ_RECHECK)).isNotNull();
  }

  /**
   * A transient reader inside a write-locked VMA when it is detached: its increment landed after
   * {@code vma_start_write}; it will back out once it sees the sequence. Returns the count {@code
   * vma_mark_detached} left when it returned, the transient reference still held (or dropped by a
   * helper once the detaching thread waits, in the faithful protocol).
   */
  private static int detachWithTransientReader(ProtocolVariant variant) throws Exception {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).protocol(variant.protocol()).build();
    VmArea v = mm.mmap(A, PAGE, RW);
    AtomicReference<Throwable> helperFailure = new AtomicReference<>();
    Thread helper = null;
    int left;
    mm.mmapWriteLock();
    try {
      v.startWrite();
      assertThat(v.tryIncrementForRead(VmArea.VM_REFCNT_LIMIT))
          .as("the transient reader's increment")
          .isEqualTo(1);
      Thread detacher = Thread.currentThread();
      helper =
          new Thread(
              () -> {
                try {
                  // Back out only once the detacher waits for us (parked), as a slow reader would.
                  while (detacher.getState() != Thread.State.WAITING) {
                    if (Thread.interrupted()) {
                      return;
                    }
                    Thread.onSpinWait();
                  }
                  v.refcountPut(mm);
                } catch (Throwable e) {
                  helperFailure.set(e);
                }
              },
              "transient-reader");
      helper.setDaemon(true);
      helper.start();
      v.markDetached();
      left = v.refcnt();
      if (left != 0) {
        helper.interrupt();
        v.refcountPut(mm); // the transient reader backs out late
      }
      v.markAttached(); // the VMA is still in the tree: restore the mm's consistency
    } finally {
      mm.mmapWriteUnlock();
    }
    helper.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(helper.isAlive()).isFalse();
    assertThat(helperFailure.get()).isNull();
    return left;
  }

  @Test
  @DisplayName("DETACH_NO_WAIT: vma_mark_detached returns with a transient reader inside (F6)")
  void detachNoWaitReturnsWithTransientReaderInside() throws Exception {
    assertThat(detachWithTransientReader(ProtocolVariant.FAITHFUL))
        .as("faithful: the detach waits until the transient reader left")
        .isZero();
    assertThat(detachWithTransientReader(ProtocolVariant.DETACH_NO_WAIT))
        .as("F6: the detach returned with the reader's reference still in vm_refcnt")
        .isEqualTo(1);
  }
}
