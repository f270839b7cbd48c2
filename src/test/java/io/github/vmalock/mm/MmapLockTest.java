package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The mmap lock and mm_lock_seq: {@code include/linux/mmap_lock.h}. */
class MmapLockTest {
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("mmap_write_lock makes mm_lock_seq odd, mmap_write_unlock even again, +2 per period")
  void sequence() {
    int s0 = mm.mmLockSeq();
    assertThat(s0 & 1).isZero();
    mm.mmapWriteLock();
    assertThat(mm.mmLockSeq()).isEqualTo(s0 + 1);
    mm.mmapAssertWriteLocked();
    mm.mmapAssertLocked();
    mm.mmapWriteUnlock();
    assertThat(mm.mmLockSeq()).isEqualTo(s0 + 2);
    mm.mmapReadLock();
    assertThat(mm.mmLockSeq()).isEqualTo(s0 + 2);
    mm.mmapAssertLocked();
    assertThatThrownBy(mm::mmapAssertWriteLocked)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mmap_assert_write_locked");
    mm.mmapReadUnlock();
    assertThatThrownBy(mm::mmapAssertLocked)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mmap_assert_locked");
  }

  @Test
  @DisplayName("mmap_write_downgrade ends the VMA write locks and keeps a read hold")
  void downgrade() {
    VmArea v = mm.mmap(0x100000, PAGE, VM_READ);
    mm.mmapWriteLock();
    v.startWrite();
    assertThat(v.isWriteLocked()).isTrue();
    mm.mmapWriteDowngrade();
    assertThat(mm.mmLockSeq() & 1).isZero();
    assertThat(v.isWriteLocked()).isFalse();
    assertThat(mm.mmapLock().getReadHoldCount()).isEqualTo(1);
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    VmArea r = mm.lockVmaUnderRcu(0x100000);
    assertThat(r).isSameAs(v);
    r.endRead();
    mm.mmapReadUnlock();
    assertThat(mm.mmapLock().getReadLockCount()).isZero();
  }

  @Test
  @DisplayName("taking the mmap lock again while holding it throws (the kernel would deadlock)")
  void noRecursion() {
    mm.mmapReadLock();
    try {
      assertThatThrownBy(mm::mmapReadLock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already holding");
      assertThatThrownBy(mm::mmapReadTrylock).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(mm::mmapWriteLock).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> mm.vmaStartReadUnlocked(0x1000))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("vma_start_read_unlocked");
      assertThatThrownBy(() -> mm.mmap(0x100000, PAGE, VM_READ))
          .isInstanceOf(IllegalStateException.class);
      assertThat(mm.mmapLock().getReadHoldCount()).isEqualTo(1);
    } finally {
      mm.mmapReadUnlock();
    }
    mm.mmapWriteLock();
    try {
      assertThatThrownBy(mm::mmapReadLock).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(mm::mmapWriteLock).isInstanceOf(IllegalStateException.class);
      assertThat(mm.mmapLock().getWriteHoldCount()).isEqualTo(1);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  @Test
  @DisplayName(
      "unlock without lock (the BPF stack-map bug of v2 of the series) throws; nothing changes")
  void unlockWithoutLock() {
    int seq = mm.mmLockSeq();
    assertThatThrownBy(mm::mmapReadUnlock)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mmap_read_unlock without mmap_read_lock");
    assertThatThrownBy(mm::mmapWriteUnlock).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(mm::mmapWriteDowngrade).isInstanceOf(IllegalStateException.class);
    mm.mmapReadLock();
    try {
      assertThatThrownBy(mm::mmapWriteUnlock).isInstanceOf(IllegalStateException.class);
    } finally {
      mm.mmapReadUnlock();
    }
    assertThat(mm.mmLockSeq()).isEqualTo(seq);
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    assertThat(mm.mmapLock().getReadLockCount()).isZero();
  }

  @Test
  @DisplayName("mmap_read_trylock fails while another thread write-locks, never blocks")
  void trylock() throws Exception {
    AtomicBoolean got = new AtomicBoolean(true);
    mm.mmapWriteLock();
    try {
      TestSupport.Worker w = new TestSupport.Worker("trylock", () -> got.set(mm.mmapReadTrylock()));
      w.join();
    } finally {
      mm.mmapWriteUnlock();
    }
    assertThat(got).isFalse();
    assertThat(mm.mmapReadTrylock()).isTrue();
    mm.mmapReadUnlock();
  }

  @Test
  @DisplayName(
      "mmap_lock_speculate_try_begin/retry: refused while write-locked, retry after a period")
  void speculation() {
    long seq = mm.mmapLockSpeculateTryBegin();
    assertThat(seq).isNotNegative();
    assertThat(mm.mmapLockSpeculateRetry(seq)).isFalse();
    mm.mmapWriteLock();
    try {
      assertThat(mm.mmapLockSpeculateTryBegin()).isEqualTo(-1L);
      assertThat(mm.mmapLockSpeculateRetry(seq)).isTrue();
    } finally {
      mm.mmapWriteUnlock();
    }
    assertThat(mm.mmapLockSpeculateRetry(seq)).isTrue();
    assertThatThrownBy(() -> mm.mmapLockSpeculateRetry(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> mm.mmapLockSpeculateRetry(3))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("killable lock: an interrupt while waiting ends with nothing held, seq unchanged")
  void killable() throws Exception {
    mm.mmapWriteLock();
    int seq = mm.mmLockSeq();
    AtomicBoolean interrupted = new AtomicBoolean();
    TestSupport.Worker w =
        new TestSupport.Worker(
            "killable",
            () -> {
              try {
                mm.mmapWriteLockKillable();
                mm.mmapWriteUnlock();
              } catch (InterruptedException e) {
                interrupted.set(true);
              }
            });
    try {
      TestSupport.awaitWaiting(w.thread);
      w.thread.interrupt();
      w.join();
    } finally {
      mm.mmapWriteUnlock();
    }
    assertThat(interrupted).isTrue();
    assertThat(mm.mmLockSeq()).isEqualTo(seq + 1);
    mm.mmapReadLockKillable();
    mm.mmapReadUnlock();
  }
}
