package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code vma_start_write_killable} with a signal already pending: {@code __vma_enter_locked}
 * returns at once for a VMA with no readers to wait for, and {@code rcuwait_wait_event} tests the
 * condition before {@code signal_pending_state}, so the lock is taken; only a wait that actually
 * has to sleep is ended by the signal.
 */
class StartWriteKillableTest {
  private static final long A = 0x4000_0000L;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    Thread.interrupted();
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName(
      "pending interrupt, no readers: the VMA is write-locked, the interrupt stays pending")
  void pendingInterruptNoReaders() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    mm.mmapWriteLock();
    try {
      Thread.currentThread().interrupt();
      assertThatCode(v::startWriteInterruptibly).doesNotThrowAnyException();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(v.isWriteLocked()).isTrue();
      assertThat(v.refcnt()).isEqualTo(1);
    } finally {
      Thread.interrupted();
      mm.mmapWriteUnlock();
    }
  }

  @Test
  @DisplayName("pending interrupt, one reader: interrupted, exclusion undone, nothing locked")
  void pendingInterruptWithReader() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    assertThat(r).isSameAs(v);
    mm.mmapWriteLock();
    try {
      Thread.currentThread().interrupt();
      boolean thrown = false;
      try {
        v.startWriteInterruptibly();
      } catch (InterruptedException e) {
        thrown = true;
      }
      assertThat(thrown).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      assertThat(v.isWriteLocked()).isFalse();
      assertThat(v.refcnt()).isEqualTo(2);
    } finally {
      mm.mmapWriteUnlock();
    }
    r.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
  }
}
