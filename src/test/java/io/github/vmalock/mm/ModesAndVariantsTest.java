package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.variants.ProtocolVariant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * LockMode.MMAP_LOCK_ONLY and the known-bad ProtocolVariants (each shown to break its rule).
 *
 * <p>Invariants cited here: see docs/invariants.md#f3, docs/invariants.md#f4,
 * docs/invariants.md#f5, docs/invariants.md#f6, docs/invariants.md#f9.
 */
class ModesAndVariantsTest {
  private static final long A = 0x30_0000L;

  private static MmStruct build(ProtocolVariant variant) {
    return MmStruct.builder().cache(new VmAreaCache()).protocol(variant.protocol()).build();
  }

  @Test
  @DisplayName("MMAP_LOCK_ONLY: no per-VMA locks; the mmap lock serves every reader")
  void mmapLockOnly() {
    MmStruct mm =
        MmStruct.builder().cache(new VmAreaCache()).lockMode(LockMode.MMAP_LOCK_ONLY).build();
    try {
      assertThat(mm.lockMode()).isEqualTo(LockMode.MMAP_LOCK_ONLY);
      VmArea v = mm.mmap(A, 4 * PAGE, VM_READ | VM_WRITE);
      mm.mprotect(A + PAGE, PAGE, VM_READ);
      mm.munmap(A + 3 * PAGE, PAGE);
      assertThat(mm.mapCount()).isEqualTo(3);
      assertThat(v.refcnt()).as("attach does nothing").isZero();
      assertThat(mm.lockVmaUnderRcu(A)).isNull();
      assertThatThrownBy(() -> mm.vmaStartReadUnlocked(A))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> mm.lockNextVma(0)).isInstanceOf(UnsupportedOperationException.class);
      // mprotect's split_vma keeps the original object for the middle part, as the kernel does.
      assertThat(v.start()).isEqualTo(A + PAGE);
      mm.mmapReadLock();
      try {
        assertThat(mm.vmaLookup(A + PAGE)).isSameAs(v);
        assertThatThrownBy(v::startReadLocked).isInstanceOf(UnsupportedOperationException.class);
      } finally {
        mm.mmapReadUnlock();
      }
      mm.mmapWriteLock();
      try {
        v.startWrite();
        assertThat(v.isWriteLocked()).as("VMA write locks do nothing").isFalse();
      } finally {
        mm.mmapWriteUnlock();
      }
      VmArea found = mm.lockMmAndFindVma(A + PAGE);
      assertThat(found).isSameAs(v);
      mm.mmapReadUnlock();
      mm.assertQuiescent();
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName(
      "SEED_V2_NULL_DEREF: vma_start_read_locked(NULL) in the slow path; the lock is dropped")
  void seedV2() {
    MmStruct mm = build(ProtocolVariant.SEED_V2_NULL_DEREF);
    try {
      assertThat(mm.protocol()).isSameAs(ProtocolVariant.SEED_V2_NULL_DEREF.protocol());
      assertThatThrownBy(() -> mm.vmaStartReadUnlocked(A)).isInstanceOf(NullPointerException.class);
      assertThat(mm.mmapLock().getReadLockCount()).isZero();
      VmArea v = mm.mmap(A, PAGE, VM_READ);
      VmArea r = mm.vmaStartReadUnlocked(A); // the fast path still works
      assertThat(r).isSameAs(v);
      r.endRead();
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName("WRITER_NO_WAIT: vma_start_write returns while a reader holds the VMA (F5)")
  void writerNoWait() throws Exception {
    MmStruct mm = build(ProtocolVariant.WRITER_NO_WAIT);
    try {
      VmArea v = mm.mmap(A, PAGE, VM_READ);
      VmArea r = mm.lockVmaUnderRcu(A);
      TestSupport.Worker writer =
          new TestSupport.Worker(
              "writer",
              () -> {
                mm.mmapWriteLock();
                try {
                  v.startWrite();
                  assertThat(v.refcnt()).as("a reader is still inside").isEqualTo(2);
                } finally {
                  mm.mmapWriteUnlock();
                }
              });
      writer.join();
      r.endRead();
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName("NO_SEQ_RECHECK: lock_vma_under_rcu returns a write-locked VMA (F4)")
  void noSeqRecheck() throws Exception {
    MmStruct mm = build(ProtocolVariant.NO_SEQ_RECHECK);
    try {
      VmArea v = mm.mmap(A, PAGE, VM_READ);
      try (TestSupport.WriteHold writer = TestSupport.holdWriteLocked(mm, v)) {
        VmArea r = mm.lockVmaUnderRcu(A);
        assertThat(r).isSameAs(v);
        assertThat(r.isWriteLocked()).isTrue();
        r.endRead();
        writer.release();
        writer.join();
      }
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName("NO_MM_RECHECK: vma_start_read accepts an object recycled by another mm (F3)")
  void noMmRecheck() {
    VmAreaCache cache = new VmAreaCache();
    MmStruct a =
        MmStruct.builder().cache(cache).protocol(ProtocolVariant.NO_MM_RECHECK.protocol()).build();
    MmStruct b = MmStruct.builder().cache(cache).build();
    try {
      VmArea stale = a.mmap(A, PAGE, VM_READ);
      a.munmap(A, PAGE);
      assertThat(b.mmap(A, PAGE, VM_READ)).isSameAs(stale);
      a.rcu().readLock();
      VmArea r = a.vmaStartRead(stale);
      a.rcu().readUnlock();
      assertThat(r).isSameAs(stale);
      assertThat(r.mm()).isSameAs(b);
      r.refcountPut(b);
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  @DisplayName("DETACH_NO_WAIT: vma_mark_detached returns with a transient reader inside (F6)")
  void detachNoWait() {
    MmStruct mm = build(ProtocolVariant.DETACH_NO_WAIT);
    try {
      VmArea v = mm.mmap(A, PAGE, VM_READ);
      mm.mmapWriteLock();
      try {
        v.startWrite();
        v.tryIncrementForRead(VmArea.VM_REFCNT_LIMIT);
        v.markDetached();
        assertThat(v.refcnt()).as("returned with the transient reader's reference").isEqualTo(1);
        v.refcountPut(mm);
        v.markAttached();
      } finally {
        mm.mmapWriteUnlock();
      }
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName("STALE_SLOW_PATH_VMA and NO_RANGE_RECHECK behave as FAITHFUL without a race")
  void raceOnlyVariants() {
    for (ProtocolVariant pv :
        new ProtocolVariant[] {
          ProtocolVariant.STALE_SLOW_PATH_VMA, ProtocolVariant.NO_RANGE_RECHECK
        }) {
      MmStruct mm = build(pv);
      try {
        VmArea v = mm.mmap(A, PAGE, VM_READ);
        VmArea r = mm.vmaStartReadUnlocked(A);
        assertThat(r).isSameAs(v);
        r.endRead();
        assertThat(mm.vmaStartReadUnlocked(A + PAGE)).isNull();
      } finally {
        mm.close();
      }
    }
  }

  @Test
  @DisplayName("STALE_SLOW_PATH_VMA: the slow path locks a pointer recycled for another range (F9)")
  void staleSlowPath() throws Exception {
    MmStruct mm = build(ProtocolVariant.STALE_SLOW_PATH_VMA);
    try {
      VmArea v = mm.mmap(A, 2 * PAGE, VM_READ);
      AtomicReference<VmArea> got = new AtomicReference<>();
      // The writer holds v write-locked (the fast path fails); while the reader waits for the
      // mmap lock, it unmaps v and maps elsewhere in the same write period, which recycles the
      // object at once.
      try (TestSupport.WriteHold writer =
          TestSupport.holdWriteLocked(
              mm,
              () -> {
                VmaOps.doMunmap(mm, A, A + 2 * PAGE);
                assertThat(VmaOps.mmapRegion(mm, A + 64 * PAGE, A + 65 * PAGE, VM_WRITE))
                    .isSameAs(v);
              },
              v)) {
        TestSupport.Worker reader =
            new TestSupport.Worker("reader", () -> got.set(mm.vmaStartReadUnlocked(A)));
        TestSupport.awaitWaiting(reader.thread);
        writer.release();
        reader.join();
        writer.join();
      }
      assertThat(got.get()).isSameAs(v);
      assertThat(got.get().contains(A)).as("returned a VMA that does not cover addr").isFalse();
      got.get().endRead();

      // The faithful slow path looks the address up again under the mmap lock: null here.
      MmStruct faithful = build(ProtocolVariant.FAITHFUL);
      faithful.mmap(A + 64 * PAGE, PAGE, VM_WRITE);
      assertThat(faithful.vmaStartReadUnlocked(A)).isNull();
      faithful.close();
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName(
      "vmalock.variant is read by ProtocolVariant.fromSystemProperty only, not by MmStruct")
  void systemProperty() {
    String old = System.getProperty("vmalock.variant");
    try {
      System.setProperty("vmalock.variant", "NO_RANGE_RECHECK");
      assertThat(ProtocolVariant.fromSystemProperty()).isEqualTo(ProtocolVariant.NO_RANGE_RECHECK);
      MmStruct mm = new MmStruct();
      assertThat(mm.protocol()).isSameAs(VmaLockProtocol.faithful());
      mm.close();
      System.setProperty("vmalock.variant", "SYNC_NO_WAIT"); // an RcuVariant: not ours
      assertThat(ProtocolVariant.fromSystemProperty()).isEqualTo(ProtocolVariant.FAITHFUL);
      assertThat(
              MmStruct.builder().protocol(ProtocolVariant.FAITHFUL.protocol()).build().protocol())
          .isSameAs(VmaLockProtocol.faithful());
    } finally {
      if (old == null) {
        System.clearProperty("vmalock.variant");
      } else {
        System.setProperty("vmalock.variant", old);
      }
    }
  }
}
