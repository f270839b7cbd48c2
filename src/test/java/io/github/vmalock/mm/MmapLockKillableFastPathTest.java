package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code mmap_read_lock_killable} / {@code mmap_write_lock_killable} with a signal already pending:
 * {@code down_read_killable} and {@code down_write_killable} take an uncontended rwsem on the fast
 * path ({@code rwsem_read_trylock} / {@code rwsem_write_trylock}) without looking at signals; only
 * the slow path, which sleeps, returns {@code -EINTR}.
 */
class MmapLockKillableFastPathTest {
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    Thread.interrupted();
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("uncontended mmap_read_lock_killable with an interrupt pending takes the lock")
  void readFastPath() {
    Thread.currentThread().interrupt();
    assertThatCode(mm::mmapReadLockKillable).doesNotThrowAnyException();
    assertThat(Thread.interrupted()).isTrue();
    assertThat(mm.mmapLock().getReadHoldCount()).isEqualTo(1);
    mm.mmapReadUnlock();
  }

  @Test
  @DisplayName("uncontended mmap_write_lock_killable with an interrupt pending takes the lock")
  void writeFastPath() {
    int seq = mm.mmLockSeq();
    Thread.currentThread().interrupt();
    assertThatCode(mm::mmapWriteLockKillable).doesNotThrowAnyException();
    assertThat(Thread.interrupted()).isTrue();
    assertThat(mm.mmapLock().isWriteLockedByCurrentThread()).isTrue();
    assertThat(mm.mmLockSeq()).isEqualTo(seq + 1);
    mm.mmapWriteUnlock();
    assertThat(mm.mmLockSeq()).isEqualTo(seq + 2);
  }
}
