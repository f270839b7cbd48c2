package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Debug mode: lockdep-like tracking, lock-order reports, no-sleep contexts, quiescence. */
class DebugModeTest {
  private static final long A = 0x20_0000L;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).debug(true).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("heldLocks lists the mmap lock and VMA read references of the calling thread")
  void heldLocks() {
    mm.mmap(A, PAGE, VM_READ);
    assertThat(mm.isDebug()).isTrue();
    assertThat(mm.heldLocks()).contains("no locks held");
    VmArea v = mm.lockVmaUnderRcu(A);
    assertThat(mm.heldLocks()).contains("vm_lock(read)").contains("100000".substring(0, 0));
    assertThatThrownBy(mm::assertNoLocksHeld)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("debug_check_no_locks_held")
        .hasMessageContaining("vm_lock(read)");
    v.endRead();
    mm.assertNoLocksHeld();
    mm.mmapReadLock();
    assertThat(mm.heldLocks()).contains("mmap_lock(read)");
    assertThatThrownBy(mm::assertNoLocksHeld).isInstanceOf(IllegalStateException.class);
    mm.mmapReadUnlock();
    mm.assertNoLocksHeld();
  }

  @Test
  @DisplayName(
      "lock order: mmap_read_lock while holding a VMA read lock is reported, nothing taken")
  void lockOrder() {
    mm.mmap(A, PAGE, VM_READ);
    VmArea v = mm.lockVmaUnderRcu(A);
    assertThatThrownBy(mm::mmapReadLock)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("circular locking dependency");
    assertThatThrownBy(mm::mmapWriteLock).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> mm.vmaStartReadUnlocked(A))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("circular");
    assertThat(mm.mmapLock().getReadLockCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    // a trylock cannot deadlock: allowed
    assertThat(mm.mmapReadTrylock()).isTrue();
    mm.mmapReadUnlock();
    v.endRead();
    mm.mmapReadLock();
    mm.mmapReadUnlock();
  }

  @Test
  @DisplayName("debug: vma_end_read by a thread holding no reference is refused, count unchanged")
  void endReadByNonHolder() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    TestSupport.Worker other =
        new TestSupport.Worker(
            "other",
            () -> {
              try {
                r.endRead();
              } catch (IllegalStateException e) {
                thrown.set(e);
              }
            });
    other.join();
    assertThat(thrown.get()).hasMessageContaining("holds no read reference");
    assertThat(v.refcnt()).isEqualTo(2);
    r.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
  }

  @Test
  @DisplayName(
      "assertQuiescent finds a leaked VMA read reference (the BPF stack-map leak of v2 of the series)")
  void quiescent() {
    mm.mmap(A, PAGE, VM_READ);
    mm.assertQuiescent();
    VmArea leaked = mm.lockVmaUnderRcu(A);
    assertThatThrownBy(mm::assertQuiescent)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not quiescent")
        .hasMessageContaining("refcnt=0x2");
    leaked.endRead();
    mm.assertQuiescent();
    mm.mmapReadLock();
    try {
      assertThatThrownBy(mm::assertQuiescent)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("mmap_lock is held");
    } finally {
      mm.mmapReadUnlock();
    }
  }

  @Test
  @DisplayName("noSleep: might_sleep() callers throw at once; lockVmaUnderRcu and trylock work")
  void noSleep() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    mm.noSleep(
        () -> {
          VmArea r = mm.lockVmaUnderRcu(A);
          assertThat(r).isSameAs(v);
          r.endRead();
          assertThatThrownBy(() -> mm.vmaStartReadUnlocked(A))
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("sleeping function called from invalid context");
          assertThatThrownBy(mm::mmapReadLock).isInstanceOf(IllegalStateException.class);
          assertThatThrownBy(mm::mmapWriteLock).isInstanceOf(IllegalStateException.class);
          assertThatThrownBy(() -> mm.lockMmAndFindVma(A))
              .isInstanceOf(IllegalStateException.class);
          assertThatThrownBy(() -> mm.munmap(A, PAGE)).isInstanceOf(IllegalStateException.class);
          assertThat(mm.mmapReadTrylock()).isTrue();
          mm.mmapReadUnlock();
        });
    assertThat(mm.mapCount()).isEqualTo(1);
    assertThat(v.refcnt()).isEqualTo(1);
    mm.mmapReadLock(); // outside the no-sleep context again
    mm.mmapReadUnlock();
  }

  @Test
  @DisplayName("noSleep applies without debug mode too, and only to the calling thread")
  void noSleepWithoutDebug() throws Exception {
    MmStruct plain = MmStruct.builder().cache(new VmAreaCache()).debug(false).build();
    try {
      plain.noSleep(
          () -> {
            assertThatThrownBy(plain::mmapReadLock).isInstanceOf(IllegalStateException.class);
            try {
              TestSupport.Worker other =
                  new TestSupport.Worker(
                      "other",
                      () -> {
                        plain.mmapReadLock();
                        plain.mmapReadUnlock();
                      });
              other.join();
            } catch (InterruptedException e) {
              throw new AssertionError(e);
            }
          });
      assertThat(plain.heldLocks()).contains("debug mode only");
    } finally {
      plain.close();
    }
  }
}
