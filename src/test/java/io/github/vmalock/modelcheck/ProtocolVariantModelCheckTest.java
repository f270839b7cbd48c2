package io.github.vmalock.modelcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.ModelCheckHooks;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.ProtocolVariant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Model checking of the per-VMA lock protocol: each scenario is two threads (a reader and a writer)
 * on a fresh mm, explored by Lincheck's model checker ({@link Lincheck#runConcurrentTest}) under
 * sequential consistency. Against {@link ProtocolVariant#FAITHFUL} every explored interleaving must
 * keep the invariants; against each known-bad variant, the scenario that targets it must find an
 * interleaving that breaks them, deterministically, and print it (the trace is in the {@link
 * AssertionError} Lincheck throws, echoed to standard output).
 *
 * <p>The checks, after the reader and writer threads joined: a VMA returned read-locked is
 * attached, belongs to the mm asked and covers the address asked (docs/invariants.md F1, F2, F3);
 * reader and writer are never inside the same VMA at once (F4, F5); after both finished every VMA's
 * {@code refcnt()} is back to 1 and no exception escaped either thread.
 *
 * <p>Each mm uses an RCU domain without a reclaimer thread and a private VMA cache that recycles
 * freed VMAs at once (SLAB_TYPESAFE_BY_RCU), so every run is deterministic.
 *
 * <p>Invariants cited here: see docs/invariants.md#f1, docs/invariants.md#f2,
 * docs/invariants.md#f3, docs/invariants.md#f4, docs/invariants.md#f5, docs/invariants.md#f6.
 */
@Tag("lincheck")
class ProtocolVariantModelCheckTest {

  static final long PAGE = MmStruct.PAGE_SIZE;
  static final long A = 0x100000L;
  static final long B = 0x200000L;
  static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /** Invocations at most per bad-variant scenario (the search stops at the first failure). */
  static final int INVOCATIONS = Scale.pick(2_000, 50_000);

  /** Invocations per scenario against the faithful protocol (all of them run). */
  static final int FAITHFUL_INVOCATIONS = Scale.pick(100, 20_000);

  /** One scenario: builds its world and returns the two thread bodies and the final check. */
  interface Scenario {
    World build(ProtocolVariant variant);
  }

  /** The state of one invocation. */
  static final class World {
    final List<String> violations = new ArrayList<>();
    Runnable reader;
    Runnable writer;
    Runnable finalCheck = () -> {};

    synchronized void violation(String what) {
      violations.add(what);
    }
  }

  @BeforeAll
  static void instrumentFirst() {
    LincheckWarmUp.instrumentProtocolClasses();
  }

  static Rcu quietRcu() {
    return Rcu.builder().reclaimerThread(false).build();
  }

  static MmStruct mm(ProtocolVariant v, Rcu rcu, VmAreaCache cache) {
    return MmStruct.builder().rcu(rcu).cache(cache).protocol(v.protocol()).build();
  }

  /** Runs the two threads of a fresh world and throws if an invariant broke. */
  static void runOnce(Scenario scenario, ProtocolVariant variant) {
    World w = scenario.build(variant);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread r = new Thread(guard(w.reader, failure, "reader"));
    Thread wr = new Thread(guard(w.writer, failure, "writer"));
    r.start();
    wr.start();
    try {
      r.join();
      wr.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (failure.get() != null) {
      throw new AssertionError("a thread threw: " + failure.get(), failure.get());
    }
    w.finalCheck.run();
    if (!w.violations.isEmpty()) {
      throw new AssertionError("invariant broken: " + w.violations);
    }
  }

  static Runnable guard(Runnable body, AtomicReference<Throwable> failure, String who) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) {
        failure.compareAndSet(null, new AssertionError(who + ": " + t, t));
      }
    };
  }

  /** The reader's checks on a VMA it holds read-locked; then it drops the reference. */
  static void checkHeld(World w, MmStruct mm, VmArea v, long addr) {
    if (v == null) {
      return;
    }
    if (v.mm() != mm) {
      w.violation("F3: got a VMA of another mm: " + v);
    } else if (!v.contains(addr)) {
      w.violation("F1: got a VMA not covering " + Long.toHexString(addr) + ": " + v);
    } else if (!v.isAttached()) {
      w.violation("F2: got a detached VMA: " + v);
    }
    v.endRead();
  }

  static void checkAllRefcntOne(World w, MmStruct... mms) {
    for (MmStruct mm : mms) {
      mm.mmapReadLock();
      try {
        for (VmArea v = mm.findVma(0); v != null; v = mm.findVma(v.end())) {
          if (v.refcnt() != 1) {
            w.violation("leaked or lost reference: refcnt " + v.refcnt() + " on " + v);
          }
        }
      } finally {
        mm.mmapReadUnlock();
      }
    }
  }

  /** lock_vma_under_rcu(A) against munmap(A) and an mmap(B) that recycles the VMA at once. */
  static World readerVsUnmapRecycleElsewhere(ProtocolVariant v) {
    World w = new World();
    MmStruct mm = mm(v, quietRcu(), new VmAreaCache());
    mm.mmap(A, PAGE, RW);
    w.reader = () -> checkHeld(w, mm, mm.lockVmaUnderRcu(A), A);
    w.writer =
        () -> {
          mm.munmap(A, PAGE);
          mm.mmap(B, PAGE, RW | VmFlags.VM_EXEC);
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  /** lock_vma_under_rcu(A) in mm1 against munmap(A) in mm1 and mmap(A) in mm2 (shared cache). */
  static World readerVsRecycleIntoOtherMm(ProtocolVariant v) {
    World w = new World();
    Rcu rcu = quietRcu();
    VmAreaCache cache = new VmAreaCache();
    MmStruct mm1 = mm(v, rcu, cache);
    MmStruct mm2 = mm(v, rcu, cache);
    mm1.mmap(A, PAGE, RW);
    w.reader = () -> checkHeld(w, mm1, mm1.lockVmaUnderRcu(A), A);
    w.writer =
        () -> {
          mm1.munmap(A, PAGE);
          mm2.mmap(A, PAGE, RW);
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm1, mm2);
    return w;
  }

  /** lock_vma_under_rcu(A) against a writer inside vma_start_write's section on that VMA. */
  static World readerVsWriteLockedVma(ProtocolVariant v) {
    World w = new World();
    MmStruct mm = mm(v, quietRcu(), new VmAreaCache());
    mm.mmap(A, PAGE, RW);
    boolean[] inside = new boolean[2]; // [0] reader, [1] writer
    w.reader =
        () -> {
          VmArea r = mm.lockVmaUnderRcu(A);
          if (r != null) {
            inside[0] = true;
            if (inside[1]) {
              w.violation("F4: reader admitted while the writer holds the VMA write-locked");
            }
            inside[0] = false;
            r.endRead();
          }
        };
    w.writer =
        () -> {
          mm.mmapWriteLock();
          try {
            mm.vmaLookup(A).startWrite();
            inside[1] = true;
            if (inside[0]) {
              w.violation("F5: vma_start_write returned while a reader was inside");
            }
            inside[1] = false;
          } finally {
            mm.mmapWriteUnlock();
          }
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  /** vma_start_read_unlocked(A) against munmap(A) and an mmap(B) that recycles the VMA. */
  static World startReadUnlockedVsUnmapRecycle(ProtocolVariant v) {
    World w = new World();
    MmStruct mm = mm(v, quietRcu(), new VmAreaCache());
    mm.mmap(A, PAGE, RW);
    w.reader = () -> checkHeld(w, mm, mm.vmaStartReadUnlocked(A), A);
    w.writer =
        () -> {
          mm.munmap(A, PAGE);
          mm.mmap(B, PAGE, RW | VmFlags.VM_EXEC);
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  /**
   * lock_vma_under_rcu(A) against munmap(A) then mmap(A) again. {@code vma_mark_detached} must
   * leave the count 0 (it waits for transient readers, whose limited increment can no longer
   * succeed from 0): a detached VMA with a reference left would be freed and reused under that
   * reader (F6).
   */
  static World readerVsUnmapRemapSameRange(ProtocolVariant v) {
    World w = new World();
    MmStruct mm = mm(v, quietRcu(), new VmAreaCache());
    mm.mmap(A, PAGE, RW);
    mm.mmapReadLock();
    VmArea old = mm.vmaLookup(A);
    mm.mmapReadUnlock();
    w.reader = () -> checkHeld(w, mm, mm.lockVmaUnderRcu(A), A);
    w.writer =
        () -> {
          mm.munmap(A, PAGE);
          if (old.refcnt() != 0) {
            w.violation("F6: munmap returned with refcnt " + old.refcnt() + " on the freed VMA");
          }
          mm.mmap(A, PAGE, RW | VmFlags.VM_EXEC);
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  /**
   * A reader of mm1 holding a stale pointer ({@code vma_start_read} on a VMA its tree walk found
   * before mm1 unmapped it; the object has since been recycled into mm2, which shares the VMA
   * cache) against mm2's {@code munmap} of that VMA. The reader's early check compares the VMA's
   * {@code vm_lock_seq} with mm1's sequence, so it passes even while mm2 holds the VMA
   * write-locked; its increment, after mm2's {@code vma_start_write}, is a transient reference that
   * it drops at the {@code vm_mm} check, waking mm2's writer. {@code vma_mark_detached} must wait
   * for that drop, so that {@code munmap} returns with the count 0 (F6: a detached VMA is freed and
   * may be reused at once). The stale pointer is set up before the threads start, so the model
   * checker needs only two context switches to reach the race (writer past {@code vma_start_write},
   * reader increments, writer detaches).
   */
  static World staleReaderVsDetachInOtherMm(ProtocolVariant v) {
    World w = new World();
    Rcu rcu = quietRcu();
    VmAreaCache cache = new VmAreaCache();
    MmStruct mm1 = mm(v, rcu, cache);
    MmStruct mm2 = mm(v, rcu, cache);
    mm1.mmap(A, PAGE, RW);
    mm1.mmapReadLock();
    VmArea stale = mm1.vmaLookup(A);
    mm1.mmapReadUnlock();
    mm1.munmap(A, PAGE);
    mm2.mmap(A, PAGE, RW);
    mm2.mmapReadLock();
    boolean recycled = mm2.vmaLookup(A) == stale;
    mm2.mmapReadUnlock();
    if (!recycled) {
      throw new IllegalStateException("the VMA cache did not recycle the object into mm2");
    }
    w.reader = () -> checkHeld(w, mm1, ModelCheckHooks.vmaStartRead(mm1, stale), A);
    w.writer =
        () -> {
          mm2.munmap(A, PAGE);
          if (stale.refcnt() != 0) {
            w.violation(
                "F6: munmap returned with refcnt " + stale.refcnt() + " on the detached VMA");
          }
        };
    w.finalCheck =
        () -> {
          if (stale.refcnt() != 0) {
            w.violation("detached VMA left with refcnt " + stale.refcnt());
          }
          checkAllRefcntOne(w, mm1, mm2);
        };
    return w;
  }

  /** The scenario that targets each variant (FAITHFUL runs them all). */
  static Function<ProtocolVariant, World> scenarioFor(ProtocolVariant v) {
    switch (v) {
      case NO_RANGE_RECHECK:
        return ProtocolVariantModelCheckTest::readerVsUnmapRecycleElsewhere;
      case NO_MM_RECHECK:
        return ProtocolVariantModelCheckTest::readerVsRecycleIntoOtherMm;
      case NO_SEQ_RECHECK:
      case WRITER_NO_WAIT:
        return ProtocolVariantModelCheckTest::readerVsWriteLockedVma;
      case SEED_V2_NULL_DEREF:
      case STALE_SLOW_PATH_VMA:
        return ProtocolVariantModelCheckTest::startReadUnlockedVsUnmapRecycle;
      case DETACH_NO_WAIT:
        return ProtocolVariantModelCheckTest::staleReaderVsDetachInOtherMm;
      default:
        throw new IllegalArgumentException(v.name());
    }
  }

  /** The scenarios by name, for the faithful runs. */
  enum Shape {
    READER_VS_UNMAP_RECYCLE_ELSEWHERE(ProtocolVariantModelCheckTest::readerVsUnmapRecycleElsewhere),
    READER_VS_RECYCLE_INTO_OTHER_MM(ProtocolVariantModelCheckTest::readerVsRecycleIntoOtherMm),
    READER_VS_WRITE_LOCKED_VMA(ProtocolVariantModelCheckTest::readerVsWriteLockedVma),
    START_READ_UNLOCKED_VS_UNMAP_RECYCLE(
        ProtocolVariantModelCheckTest::startReadUnlockedVsUnmapRecycle),
    READER_VS_UNMAP_REMAP_SAME_RANGE(ProtocolVariantModelCheckTest::readerVsUnmapRemapSameRange),
    STALE_READER_VS_DETACH_IN_OTHER_MM(ProtocolVariantModelCheckTest::staleReaderVsDetachInOtherMm);

    final Function<ProtocolVariant, World> build;

    Shape(Function<ProtocolVariant, World> build) {
      this.build = build;
    }
  }

  @ParameterizedTest
  @EnumSource(value = ProtocolVariant.class, names = "FAITHFUL", mode = EnumSource.Mode.EXCLUDE)
  @DisplayName(
      "lock_vma_under_rcu / vma_start_read / vma_start_read_unlocked: each bad variant caught")
  void badVariantCaught(ProtocolVariant variant) {
    assertCaught(variant);
  }

  private static void assertCaught(ProtocolVariant variant) {
    Function<ProtocolVariant, World> scenario = scenarioFor(variant);
    Throwable caught =
        catchThrowable(
            () -> Lincheck.runConcurrentTest(INVOCATIONS, () -> runOnce(scenario::apply, variant)));
    assertThat(caught)
        .as("model checking should find an interleaving that breaks %s", variant)
        .isInstanceOf(AssertionError.class);
    assertThat(caught.getMessage())
        .as("a violation with its interleaving, not a hang")
        .doesNotContain("has hung");
    System.out.println(
        "=== " + variant + ": caught by model checking ===\n" + Scale.trace(caught.getMessage()));
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  @DisplayName("lock_vma_under_rcu / vma_start_read_unlocked: faithful protocol keeps F1-F6")
  void faithfulHolds(Shape shape) {
    Lincheck.runConcurrentTest(
        FAITHFUL_INVOCATIONS, () -> runOnce(shape.build::apply, ProtocolVariant.FAITHFUL));
  }
}
