package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * I1 and I10 under churn: while a reader holds a VMA read lock, no writer changes that VMA (its
 * range and flags read at the start and the end of the hold agree, and it is never write-locked),
 * whichever entry point gave it the lock.
 *
 * <p>Invariants cited here: see docs/invariants.md#i1, docs/invariants.md#i10.
 */
class ReaderWriterStressTest {
  private static final long A = 0x1000_0000L;
  private static final int PAGES = 24;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  private static void checkStableWhileHeld(VmArea v, long addr) {
    long start = v.start();
    long end = v.end();
    long flags = v.flags();
    assertThat(v.contains(addr)).as("%s covers %x", v, addr).isTrue();
    for (int spin = 0; spin < 50; spin++) {
      assertThat(v.isWriteLocked()).as("write-locked while read-held: %s", v).isFalse();
      Thread.onSpinWait();
    }
    assertThat(v.start()).isEqualTo(start);
    assertThat(v.end()).isEqualTo(end);
    assertThat(v.flags()).isEqualTo(flags);
    assertThat(v.refcnt() & ~VmArea.VM_REFCNT_EXCLUDE_READERS_FLAG).isGreaterThanOrEqualTo(2);
  }

  @Test
  @DisplayName(
      "lockVmaUnderRcu / vmaStartReadUnlocked / lockNextVma readers vs mmap/munmap/mprotect")
  void readersSeeStableVmas() throws Exception {
    mm.mmap(A, PAGES * PAGE, VM_READ | VM_WRITE);
    int writerOps = TestSupport.scaled(5_000);
    AtomicLong held = new AtomicLong();
    TestSupport.Worker writer =
        new TestSupport.Worker(
            "writer",
            () -> {
              // Let the reader get in while the whole range is still mapped, so that the
              // "it read something" check below does not depend on how threads are scheduled.
              long deadline = System.nanoTime() + 60_000_000_000L;
              while (held.get() < 100 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000L);
              }
              SplittableRandom rnd = new SplittableRandom(11);
              for (int i = 0; i < writerOps; i++) {
                long p = rnd.nextInt(PAGES);
                long len = 1 + rnd.nextInt((int) Math.min(4, PAGES - p));
                switch (rnd.nextInt(3)) {
                  case 0 ->
                      mm.mmap(A + p * PAGE, len * PAGE, rnd.nextBoolean() ? VM_READ : VM_WRITE);
                  case 1 -> mm.munmap(A + p * PAGE, len * PAGE);
                  default -> {
                    try {
                      mm.mprotect(A + p * PAGE, len * PAGE, rnd.nextBoolean() ? VM_READ : VM_WRITE);
                    } catch (IllegalStateException hole) {
                      assertThat(hole).hasMessageContaining("ENOMEM");
                    }
                  }
                }
              }
            });
    TestSupport.Worker reader =
        new TestSupport.Worker(
            "reader",
            () -> {
              SplittableRandom rnd = new SplittableRandom(12);
              while (writer.thread.isAlive()) {
                long addr = A + rnd.nextInt(PAGES) * PAGE + rnd.nextInt(4096);
                VmArea v;
                switch (rnd.nextInt(3)) {
                  case 0 -> v = mm.lockVmaUnderRcu(addr);
                  case 1 -> v = mm.vmaStartReadUnlocked(addr);
                  default -> {
                    v = mm.lockNextVma(addr);
                    if (v != null && !v.contains(addr)) {
                      assertThat(v.start()).isGreaterThan(addr);
                      addr = v.start();
                    }
                  }
                }
                if (v != null) {
                  try {
                    checkStableWhileHeld(v, addr);
                    assertThat(v.mm()).isSameAs(mm);
                    held.incrementAndGet();
                  } finally {
                    v.endRead();
                  }
                }
              }
            });
    writer.join();
    reader.join();
    assertThat(held.get()).isPositive();
    mm.assertQuiescent();
    mm.mmMt.validate();
  }
}
