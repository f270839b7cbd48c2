package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 4: the lock-path differences found by reading {@code mm/mmap_lock.c}, {@code
 * include/linux/mmap_lock.h}, {@code mm/vma.c} and {@code fs/proc/task_mmu.c}, one test (or more)
 * per difference.
 */
class KernelLockPathTest {
  private static final long A = 0x4000_0000L;

  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    Thread.interrupted();
    TestSupport.closeIfQuiescent(mm);
  }

  private void assertNothingHeld(MmStruct m) {
    assertThat(m.mmapLock().getReadHoldCount()).isZero();
    assertThat(m.mmapLock().isWriteLockedByCurrentThread()).isFalse();
    assertThat(m.rcu().isReadLocked()).as("no RCU read section left open").isFalse();
  }

  // ---- 1. killable waits

  @Test
  @DisplayName(
      "lock_mm_and_find_vma interrupted behind a writer: null, interrupt kept, nothing held")
  void lockMmAndFindVmaKillable() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    try (TestSupport.WriteHold hold = TestSupport.holdWriteLocked(mm, v)) {
      Thread.currentThread().interrupt();
      assertThat(mm.lockMmAndFindVma(A)).isNull();
      assertThat(Thread.interrupted()).as("interrupt re-asserted").isTrue();
      assertNothingHeld(mm);
    }
    Thread.interrupted();
    VmArea got = mm.lockMmAndFindVma(A);
    assertThat(got).isSameAs(v);
    mm.mmapReadUnlock();
  }

  @Test
  @DisplayName("lock_next_vma's fallback interrupted: EINTR, interrupt kept, nothing held")
  void lockNextVmaKillable() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    try (TestSupport.WriteHold hold = TestSupport.holdWriteLocked(mm, v)) {
      Thread.currentThread().interrupt();
      assertThatThrownBy(() -> mm.lockNextVma(A - PAGE))
          .isInstanceOf(MmErrnoException.class)
          .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EINTR));
      assertThat(Thread.interrupted()).as("interrupt re-asserted").isTrue();
      assertNothingHeld(mm);
      assertThat(v.refcnt()).as("no VMA read reference left").isEqualTo(1);
    }
    Thread.interrupted();
    VmArea got = mm.lockNextVma(A - PAGE);
    assertThat(got).isSameAs(v);
    got.endRead();
  }

  // ---- 6. MMAP_LOCK_ONLY as the kernel without CONFIG_PER_VMA_LOCK

  @Test
  @DisplayName("MMAP_LOCK_ONLY: mm_lock_seq never moves, speculation never starts, no VMA locks")
  void mmapLockOnlyStubs() {
    MmStruct m =
        MmStruct.builder().cache(new VmAreaCache()).lockMode(LockMode.MMAP_LOCK_ONLY).build();
    try {
      int seq = m.mmLockSeq();
      VmArea v = m.mmap(A, 2 * PAGE, VM_READ);
      assertThat(m.mmLockSeq()).as("mm_lock_seqcount_begin/end are stubs").isEqualTo(seq);
      m.mmapWriteLock();
      try {
        assertThat(m.mmLockSeq()).as("no odd sequence in a write period").isEqualTo(seq);
        v.startWrite();
        assertThat(v.isWriteLocked()).as("vma_start_write does nothing").isFalse();
      } finally {
        m.mmapWriteUnlock();
      }
      assertThat(m.mmLockSeq()).isEqualTo(seq);
      assertThat(m.mmapLockSpeculateTryBegin())
          .as("speculate_try_begin returns false")
          .isEqualTo(-1);
      assertThat(m.mmapLockSpeculateRetry(0)).as("speculate_retry returns true").isTrue();
      m.munmap(A, PAGE); // vma_mark_detached does nothing either
      assertThat(m.mmLockSeq()).isEqualTo(seq);
      assertThat(m.lockVmaUnderRcu(A + PAGE)).isNull();
      assertThatThrownBy(() -> m.mmapLockSpeculateRetry(1))
          .as("bad input still named")
          .isInstanceOf(IllegalArgumentException.class);
    } finally {
      m.close();
    }
  }

  @Test
  @DisplayName("PER_VMA: the same steps move mm_lock_seq and speculation works")
  void perVmaSeqMoves() {
    int seq = mm.mmLockSeq();
    mm.mmap(A, PAGE, VM_READ);
    assertThat(mm.mmLockSeq()).isEqualTo(seq + 2);
    long s = mm.mmapLockSpeculateTryBegin();
    assertThat(s).isEqualTo(Integer.toUnsignedLong(seq + 2));
    assertThat(mm.mmapLockSpeculateRetry(s)).isFalse();
  }

  // ---- 5. lock_next_vma with the caller holding RCU

  @Test
  @DisplayName("lock_next_vma(rd, from): the caller's RCU section is held on entry and on return")
  void lockNextVmaCallerRcu() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea w = mm.mmap(A + 4 * PAGE, PAGE, VM_READ);
    io.github.vmalock.rcu.Rcu.Reader rd = mm.rcu().reader();
    assertThatThrownBy(() -> mm.lockNextVma(rd, 0))
        .as("RCU_LOCKDEP_WARN: no rcu read lock held")
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rcu");
    assertThatThrownBy(() -> mm.lockNextVma(null, 0)).isInstanceOf(IllegalArgumentException.class);
    rd.lock();
    try {
      VmArea a = mm.lockNextVma(rd, 0);
      assertThat(a).isSameAs(v);
      assertThat(rd.isLocked()).as("section still held after a lock-free hit").isTrue();
      VmArea b = mm.lockNextVma(rd, a.end());
      assertThat(b).isSameAs(w);
      a.endRead();
      b.endRead();
      assertThat(mm.lockNextVma(rd, w.end())).isNull();
      assertThat(rd.isLocked()).isTrue();
    } finally {
      rd.unlock();
    }
    assertThat(rd.isLocked()).isFalse();
  }

  @Test
  @DisplayName("lock_next_vma(rd, from): the fallback leaves the section to sleep, re-enters it")
  void lockNextVmaCallerRcuFallback() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    io.github.vmalock.rcu.Rcu.Reader rd = mm.rcu().reader();
    try (TestSupport.WriteHold hold = TestSupport.holdWriteLocked(mm, v)) {
      rd.lock();
      try {
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> mm.lockNextVma(rd, 0))
            .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EINTR));
        assertThat(Thread.interrupted()).isTrue();
        assertThat(rd.isLocked()).as("re-entered after ERR_PTR(-EINTR)").isTrue();
      } finally {
        rd.unlock();
      }
    }
    // With the writer gone, the convenience form opens and closes its own section.
    VmArea got = mm.lockNextVma(0);
    assertThat(got).isSameAs(v);
    assertThat(rd.isLocked()).as("the convenience closes its section").isFalse();
    got.endRead();
  }
}
