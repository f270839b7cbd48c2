package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Contracts of {@link VmArea}: the vm_refcnt encoding, read and write locks, assertions. */
class VmAreaTest {
  private static final long A = 0x10_0000L;
  private static final int FLAG = VmArea.VM_REFCNT_EXCLUDE_READERS_FLAG;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("vm_refcnt constants are the kernel's")
  void constants() {
    assertThat(VmArea.VM_REFCNT_EXCLUDE_READERS_BIT).isEqualTo(30);
    assertThat(FLAG).isEqualTo(0x4000_0000);
    assertThat(VmArea.VM_REFCNT_LIMIT).isEqualTo(0x3FFF_FFFF);
    assertThat(VmArea.readersExcluded(FLAG + 1)).isTrue();
    assertThat(VmArea.readersExcluded(FLAG)).isTrue();
    assertThat(VmArea.readersExcluded(FLAG + 2)).isFalse();
    assertThat(VmArea.readersExcluded(1)).isFalse();
  }

  @Test
  @DisplayName("accessors, contains (half-open), toString")
  void accessors() {
    VmArea v = mm.mmap(A, 2 * PAGE, VM_READ | VM_WRITE);
    assertThat(v.start()).isEqualTo(A);
    assertThat(v.end()).isEqualTo(A + 2 * PAGE);
    assertThat(v.pgoff()).isEqualTo(A >>> 12);
    assertThat(v.flags()).isEqualTo(VM_READ | VM_WRITE);
    assertThat(v.mm()).isSameAs(mm);
    assertThat(v.contains(A)).isTrue();
    assertThat(v.contains(A + 2 * PAGE - 1)).isTrue();
    assertThat(v.contains(A + 2 * PAGE)).isFalse();
    assertThat(v.contains(A - 1)).isFalse();
    assertThat(v.isAttached()).isTrue();
    assertThat(v.isWriteLocked()).isFalse();
    assertThat(v.toString()).contains("100000-102000").contains("rw-p").contains("refcnt=0x1");
  }

  @Test
  @DisplayName("vma_start_read_locked needs the mmap lock; +1 per reader; vma_end_read -1")
  void startReadLocked() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    assertThatThrownBy(v::startReadLocked)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mmap_assert_locked");
    assertThat(v.refcnt()).isEqualTo(1);
    mm.mmapReadLock();
    try {
      assertThat(v.startReadLocked()).isTrue();
      assertThat(v.startReadLocked()).isTrue();
    } finally {
      mm.mmapReadUnlock();
    }
    assertThat(v.refcnt()).isEqualTo(3);
    v.endRead();
    v.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
  }

  @Test
  @DisplayName("vma_end_read without a read reference: IllegalStateException, count unchanged")
  void endReadWithoutReference() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    assertThatThrownBy(v::endRead)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without a read reference: vm_refcnt=0x1 on");
    assertThat(v.refcnt()).isEqualTo(1);
    mm.munmap(A, PAGE);
    assertThatThrownBy(v::endRead)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("vm_refcnt=0x0 on");
    assertThat(v.refcnt()).isZero();
  }

  @Test
  @DisplayName(
      "vma_start_read_locked on a detached VMA returns false (inc_not_zero fails on 0), takes"
          + " nothing")
  void startReadLockedDetached() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    mm.munmap(A, PAGE);
    mm.mmapReadLock();
    try {
      assertThat(v.startReadLocked()).isFalse();
    } finally {
      mm.mmapReadUnlock();
    }
    assertThat(v.refcnt()).isZero();
  }

  @Test
  @DisplayName("vma_start_write: needs the write lock, idempotent, ended by mmap_write_unlock")
  void startWrite() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    assertThatThrownBy(v::startWrite)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mmap_assert_write_locked");
    mm.mmapReadLock();
    try {
      assertThatThrownBy(v::startWrite).isInstanceOf(IllegalStateException.class);
    } finally {
      mm.mmapReadUnlock();
    }
    mm.mmapWriteLock();
    try {
      assertThat(v.isWriteLocked()).isFalse();
      assertThatThrownBy(v::vmaAssertWriteLocked)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("vma_assert_write_locked");
      v.startWrite();
      v.startWrite();
      assertThat(v.isWriteLocked()).isTrue();
      assertThat(v.refcnt()).isEqualTo(1);
      v.vmaAssertWriteLocked();
      v.vmaAssertLocked();
      v.vmaAssertAttached();
      assertThatThrownBy(v::vmaAssertDetached)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("vma_assert_detached");
    } finally {
      mm.mmapWriteUnlock();
    }
    assertThat(v.isWriteLocked()).isFalse();
    assertThatThrownBy(v::vmaAssertLocked)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("vma_assert_locked");
  }

  @Test
  @DisplayName("vma_assert_locked passes with a read reference (count > 1)")
  void assertLockedWithReader() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    assertThat(r).isSameAs(v);
    v.vmaAssertLocked();
    r.endRead();
  }

  @Test
  @DisplayName("vma_mark_detached waits for a transient reader; count ends at 0")
  void detachWaitsForTransientReader() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    mm.mmapWriteLock();
    try {
      v.startWrite();
      // A transient reader: incremented before it noticed the write lock.
      assertThat(v.tryIncrementForRead(VmArea.VM_REFCNT_LIMIT)).isEqualTo(1);
      Thread main = Thread.currentThread();
      TestSupport.Worker reader =
          new TestSupport.Worker(
              "transient-reader",
              () -> {
                TestSupport.awaitWaiting(main);
                assertThat(v.refcnt()).isEqualTo(FLAG + 1);
                v.refcountPut(mm);
              });
      v.markDetached();
      assertThat(v.refcnt()).isZero();
      reader.join();
      v.markAttached(); // restore the mm's consistency: the VMA is still in the tree
      assertThat(v.refcnt()).isEqualTo(1);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  @Test
  @DisplayName("reader overflow at the (lowered) VM_REFCNT_LIMIT: every entry point's contract")
  void overflowPaths() {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).refcntLimit(3).build();
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r1 = mm.lockVmaUnderRcu(A);
    VmArea r2 = mm.lockVmaUnderRcu(A);
    assertThat(r1).isSameAs(v);
    assertThat(r2).isSameAs(v);
    assertThat(v.refcnt()).isEqualTo(3);
    long abortsBefore = mm.vmaLockStats().abort();
    assertThat(mm.lockVmaUnderRcu(A)).isNull();
    assertThat(mm.vmaLockStats().abort()).isEqualTo(abortsBefore + 1);
    // The series' slow path: if (!vma_start_read_locked(vma)) return NULL; nothing left held.
    assertThat(mm.vmaStartReadUnlocked(A)).isNull();
    assertThat(v.refcnt()).isEqualTo(3);
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    assertThatThrownBy(() -> mm.lockNextVma(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("VM_REFCNT_LIMIT");
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    mm.mmapReadLock();
    try {
      assertThat(v.startReadLocked()).isFalse();
    } finally {
      mm.mmapReadUnlock();
    }
    assertThat(v.refcnt()).isEqualTo(3);
    r1.endRead();
    r2.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("Builder.refcntLimit refuses nonsense")
  void limitHookChecks() {
    assertThatThrownBy(() -> MmStruct.builder().refcntLimit(1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MmStruct.builder().refcntLimit(Integer.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
