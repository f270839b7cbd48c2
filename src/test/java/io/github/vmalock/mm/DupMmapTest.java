package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("dupMmap (fork's dup_mmap): a copy of every VMA, after waiting out each VMA's readers")
class DupMmapTest {
  private static final long P = MmStruct.PAGE_SIZE;
  private static final long B = 0x7f00_0000_0000L;
  private static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

  private static MmStruct parent() {
    MmStruct mm = MmStruct.builder().debug(true).build();
    mm.mmap(B, 4 * P, RW);
    mm.mmap(B + 8 * P, 2 * P, VmFlags.VM_READ);
    mm.mprotect(B + P, P, VmFlags.VM_READ); // 0..1 rw, 1..2 r, 2..4 rw
    return mm;
  }

  @Test
  @DisplayName("the child has the same VMAs, in its own tree; changing one leaves the other")
  void copies() throws Exception {
    MmStruct mm = parent();
    String before = mm.dumpMaps();
    MmStruct child = mm.dupMmap();
    assertThat(child).isNotSameAs(mm);
    assertThat(child.dumpMaps()).isEqualTo(before);
    assertThat(child.mapCount()).isEqualTo(mm.mapCount()).isEqualTo(4);
    assertThat(child.cache()).isSameAs(mm.cache());
    VmArea c = child.lockVmaUnderRcu(B + 8 * P);
    assertThat(c).isNotNull();
    assertThat(c.mm()).isSameAs(child);
    c.endRead();
    child.munmap(B, 4 * P);
    assertThat(mm.dumpMaps()).isEqualTo(before);
    child.assertQuiescent();
    mm.assertQuiescent();
    child.close();
  }

  @Test
  @DisplayName("fork waits for a reader of a parent VMA; the reader's VMA is unchanged meanwhile")
  void waitsForReaders() throws Exception {
    MmStruct mm = parent();
    VmArea held = mm.lockVmaUnderRcu(B + 9 * P);
    AtomicReference<MmStruct> child = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    Thread fork =
        new Thread(
            () -> {
              started.countDown();
              try {
                child.set(mm.dupMmap());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    fork.start();
    started.await();
    fork.join(200);
    assertThat(fork.isAlive()).as("dup_mmap waits in vma_start_write_killable").isTrue();
    // Another lock-free reader of a VMA the fork has already write-locked fails, as in the kernel.
    assertThat(mm.lockVmaUnderRcu(B)).isNull();
    held.endRead();
    fork.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(fork.isAlive()).isFalse();
    assertThat(child.get().mapCount()).isEqualTo(4);
    child.get().close();
    mm.assertQuiescent();
  }

  @Test
  @DisplayName(
      "interrupted while waiting: InterruptedException (-EINTR), nothing held, parent as it was")
  void interrupted() throws Exception {
    MmStruct mm = parent();
    String before = mm.dumpMaps();
    VmArea held = mm.lockVmaUnderRcu(B + 9 * P);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread fork =
        new Thread(
            () -> {
              try {
                mm.dupMmap();
              } catch (Throwable t) {
                thrown.set(t);
              }
              // nothing of the mm is held by the forking thread afterwards
              if (mm.mmapLock().getReadHoldCount() != 0
                  || mm.mmapLock().isWriteLockedByCurrentThread()) {
                thrown.set(new AssertionError("mmap lock still held"));
              }
            });
    fork.start();
    for (int i = 0; i < 1000 && !mm.mmapLock().isWriteLocked(); i++) {
      Thread.sleep(1);
    }
    Thread.sleep(50);
    fork.interrupt();
    fork.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    held.endRead();
    assertThat(mm.dumpMaps()).isEqualTo(before);
    mm.assertQuiescent();
    VmArea again = mm.lockVmaUnderRcu(B);
    assertThat(again).as("the parent's VMAs are no longer write-locked").isNotNull();
    again.endRead();
  }

  @Test
  @DisplayName("fork of a closed mm, or while holding its mmap lock, names the problem")
  void badState() {
    MmStruct mm = parent();
    mm.mmapReadLock();
    try {
      assertThatThrownBy(mm::dupMmap).hasMessageContaining("fork");
    } finally {
      mm.mmapReadUnlock();
    }
    mm.close();
    assertThatThrownBy(mm::dupMmap).hasMessageContaining("closed");
  }
}
