package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_EXEC;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Blocking behaviour with real threads: who waits for whom, and that they wake. */
class BlockingTest {
  private static final long A = 0x4000_0000L;
  private static final int FLAG = VmArea.VM_REFCNT_EXCLUDE_READERS_FLAG;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("vma_start_write waits for a reader; new readers are refused meanwhile")
  void startWriteWaitsForReader() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    assertThat(r).isSameAs(v);
    AtomicBoolean locked = new AtomicBoolean();
    AtomicInteger refcntAtReturn = new AtomicInteger(-1);
    TestSupport.Worker writer =
        new TestSupport.Worker(
            "writer",
            () -> {
              mm.mmapWriteLock();
              try {
                v.startWrite();
                locked.set(true);
                refcntAtReturn.set(v.refcnt());
              } finally {
                mm.mmapWriteUnlock();
              }
            });
    TestSupport.awaitWaiting(writer.thread);
    assertThat(locked).isFalse();
    assertThat(v.refcnt()).isEqualTo(FLAG + 2);
    assertThat(mm.lockVmaUnderRcu(A)).as("reader refused while the writer excludes").isNull();
    assertThat(v.refcnt()).isEqualTo(FLAG + 2);
    r.endRead();
    writer.join();
    assertThat(locked).isTrue();
    assertThat(refcntAtReturn).hasValue(1);
    VmArea again = mm.lockVmaUnderRcu(A);
    assertThat(again).isSameAs(v);
    again.endRead();
  }

  @Test
  @DisplayName("vma_start_write waits for several readers, released by different threads")
  void startWriteWaitsForAllReaders() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    int readers = 4;
    List<VmArea> refs = new ArrayList<>();
    for (int i = 0; i < readers; i++) {
      refs.add(mm.lockVmaUnderRcu(A));
    }
    TestSupport.Worker writer =
        new TestSupport.Worker(
            "writer",
            () -> {
              mm.mmapWriteLock();
              try {
                v.startWrite();
                assertThat(v.refcnt()).isEqualTo(1);
              } finally {
                mm.mmapWriteUnlock();
              }
            });
    TestSupport.awaitWaiting(writer.thread);
    for (int i = 0; i < readers - 1; i++) {
      VmArea ref = refs.get(i);
      TestSupport.Worker releaser = new TestSupport.Worker("releaser-" + i, ref::endRead);
      releaser.join();
      TestSupport.awaitWaiting(writer.thread);
    }
    refs.get(readers - 1).endRead();
    writer.join();
  }

  @Test
  @DisplayName("vma_start_write_killable: interrupted while waiting, undoes the exclusion")
  void startWriteInterruptibly() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicInteger refcntAfter = new AtomicInteger();
    AtomicBoolean writeLockedAfter = new AtomicBoolean(true);
    TestSupport.Worker writer =
        new TestSupport.Worker(
            "writer",
            () -> {
              mm.mmapWriteLock();
              try {
                v.startWriteInterruptibly();
              } catch (InterruptedException e) {
                interrupted.set(true);
                refcntAfter.set(v.refcnt());
                writeLockedAfter.set(v.isWriteLocked());
              } finally {
                mm.mmapWriteUnlock();
              }
            });
    TestSupport.awaitWaiting(writer.thread);
    writer.thread.interrupt();
    writer.join();
    assertThat(interrupted).isTrue();
    assertThat(refcntAfter).hasValue(2);
    assertThat(writeLockedAfter).isFalse();
    r.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
  }

  @Test
  @DisplayName(
      "vma_start_read_unlocked waits for a writer holding the VMA, returns it read-locked, no mmap_lock held")
  void vmaStartReadUnlockedWaitsForWriter() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    AtomicBoolean writerDone = new AtomicBoolean();
    AtomicReference<VmArea> got = new AtomicReference<>();
    AtomicInteger holdCount = new AtomicInteger(-1);
    AtomicBoolean sawWriterDone = new AtomicBoolean();
    try (TestSupport.WriteHold writer =
        TestSupport.holdWriteLocked(mm, () -> writerDone.set(true), v)) {
      TestSupport.Worker reader =
          new TestSupport.Worker(
              "reader",
              () -> {
                VmArea vma = mm.vmaStartReadUnlocked(A);
                sawWriterDone.set(writerDone.get());
                holdCount.set(mm.mmapLock().getReadHoldCount());
                got.set(vma);
              });
      TestSupport.awaitWaiting(reader.thread);
      assertThat(got.get()).isNull();
      writer.release();
      writer.join();
      reader.join();
    }
    assertThat(got.get()).isSameAs(v);
    assertThat(sawWriterDone).as("returned only after the writer finished").isTrue();
    assertThat(holdCount).hasValue(0);
    assertThat(v.refcnt()).isEqualTo(2);
    got.get().endRead();
    assertThat(v.refcnt()).isEqualTo(1);
  }

  @Test
  @DisplayName("vma_start_read_unlocked during munmap of its VMA: null once the VMA is gone")
  void vmaStartReadUnlockedAfterUnmap() throws Exception {
    mm.mmap(A, PAGE, VM_READ);
    CountDownLatch locked = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TestSupport.Worker writer =
        new TestSupport.Worker(
            "writer",
            () -> {
              mm.mmapWriteLock();
              try {
                mm.vmaLookup(A).startWrite();
                locked.countDown();
                release.await();
              } finally {
                mm.mmapWriteUnlock();
              }
              mm.munmap(A, PAGE);
            });
    locked.await();
    AtomicReference<Object> got = new AtomicReference<>("unset");
    TestSupport.Worker reader =
        new TestSupport.Worker("reader", () -> got.set(mm.vmaStartReadUnlocked(A)));
    TestSupport.awaitWaiting(reader.thread);
    release.countDown();
    reader.join();
    // Either it got the VMA before munmap (then munmap waits for our endRead) or found nothing.
    // Drop the reference before joining the writer, or the writer's munmap never returns.
    Object r = got.get();
    if (r instanceof VmArea vma) {
      assertThat(vma.start()).isEqualTo(A);
      assertThat(vma.isAttached()).isTrue();
      vma.endRead();
    } else {
      assertThat(r).isNull();
    }
    writer.join();
    assertThat(mm.mapCount()).isZero();
  }

  @Test
  @DisplayName("after mmap_write_unlock every VMA is readable again")
  void allReadableAfterWriteUnlock() throws Exception {
    long[] flags = {VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC};
    List<VmArea> vmas = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      vmas.add(mm.mmap(A + i * PAGE, PAGE, flags[i % 3]));
    }
    assertThat(mm.mapCount()).isEqualTo(30);
    mm.mmapWriteLock();
    try {
      for (VmArea v : vmas) {
        v.startWrite();
      }
      TestSupport.Worker probe =
          new TestSupport.Worker(
              "probe",
              () -> {
                for (VmArea v : vmas) {
                  assertThat(mm.lockVmaUnderRcu(v.start())).isNull();
                }
              });
      probe.join();
    } finally {
      mm.mmapWriteUnlock();
    }
    TestSupport.Worker probe =
        new TestSupport.Worker(
            "probe",
            () -> {
              for (VmArea v : vmas) {
                VmArea r = mm.lockVmaUnderRcu(v.start() + 17);
                assertThat(r).isSameAs(v);
                assertThat(r.isWriteLocked()).isFalse();
                r.endRead();
              }
            });
    probe.join();
  }

  @Test
  @DisplayName("munmap waits for a reader of the VMA it removes, then frees it")
  void munmapWaitsForReader() throws Exception {
    VmArea v = mm.mmap(A, 2 * PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    TestSupport.Worker unmapper = new TestSupport.Worker("munmap", () -> mm.munmap(A, 2 * PAGE));
    TestSupport.awaitWaiting(unmapper.thread);
    assertThat(r.start()).isEqualTo(A);
    assertThat(r.end()).isEqualTo(A + 2 * PAGE);
    assertThat(r.isAttached()).isTrue();
    r.endRead();
    unmapper.join();
    assertThat(v.refcnt()).isZero();
    assertThat(mm.mapCount()).isZero();
  }

  @Test
  @DisplayName("lock_next_vma falls back to the mmap lock behind a writer and returns the VMA")
  void lockNextVmaFallbackWaits() throws Exception {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    AtomicReference<VmArea> got = new AtomicReference<>();
    try (TestSupport.WriteHold writer = TestSupport.holdWriteLocked(mm, v)) {
      TestSupport.Worker scanner =
          new TestSupport.Worker("scanner", () -> got.set(mm.lockNextVma(0)));
      TestSupport.awaitWaiting(scanner.thread);
      writer.release();
      writer.join();
      scanner.join();
    }
    assertThat(got.get()).isSameAs(v);
    got.get().endRead();
  }
}
