package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_EXEC;
import static io.github.vmalock.mm.VmFlags.VM_GROWSDOWN;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * vma_lookup/find_vma*, lock_next_vma, lock_mm_and_find_vma (with stack expansion).
 *
 * <p>Invariants cited here: see docs/invariants.md#f11.
 */
class LookupTest {
  private static final long A = 0x80_0000L;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("vma_lookup, find_vma, find_vma_prev, find_vma_intersection need the mmap lock")
  void lookupsAssertTheLock() {
    mm.mmap(A, PAGE, VM_READ);
    assertThatThrownBy(() -> mm.vmaLookup(A)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> mm.findVma(A)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> mm.findVmaPrev(A)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> mm.findVmaIntersection(A, A + PAGE))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("find_vma semantics over two VMAs with a gap, under read and write lock")
  void lookups() {
    VmArea a = mm.mmap(A, 2 * PAGE, VM_READ);
    VmArea b = mm.mmap(A + 4 * PAGE, PAGE, VM_READ | VM_WRITE);
    mm.mmapReadLock();
    try {
      assertThat(mm.vmaLookup(A + PAGE)).isSameAs(a);
      assertThat(mm.vmaLookup(A + 2 * PAGE)).isNull();
      assertThat(mm.findVma(A + 2 * PAGE)).isSameAs(b);
      assertThat(mm.findVma(A + 5 * PAGE)).isNull();
      assertThat(mm.findVma(0)).isSameAs(a);
      assertThat(mm.findVmaPrev(A + 2 * PAGE)).isSameAs(a);
      assertThat(mm.findVmaPrev(A + 4 * PAGE)).isSameAs(a);
      assertThat(mm.findVmaPrev(A)).isNull();
      assertThat(mm.findVmaPrev(A + 9 * PAGE)).isSameAs(b);
      assertThat(mm.findVmaIntersection(A + 2 * PAGE, A + 4 * PAGE)).isNull();
      assertThat(mm.findVmaIntersection(A + 2 * PAGE, A + 4 * PAGE + 1)).isSameAs(b);
      assertThat(mm.findVmaIntersection(A + PAGE, A + 8 * PAGE)).isSameAs(a);
    } finally {
      mm.mmapReadUnlock();
    }
    mm.mmapWriteLock();
    try {
      assertThat(mm.vmaLookup(A)).isSameAs(a);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  @Test
  @DisplayName("lock_next_vma walks every VMA in order, read-locked, null at the end")
  void lockNextVmaScan() {
    long[] flags = {VM_READ, VM_READ | VM_WRITE, VM_READ | VM_EXEC};
    for (int i = 0; i < 9; i++) {
      mm.mmap(A + i * 2 * PAGE, PAGE, flags[i % 3]);
    }
    long from = 0;
    int n = 0;
    for (VmArea v = mm.lockNextVma(from); v != null; v = mm.lockNextVma(from)) {
      assertThat(v.start()).isEqualTo(A + n * 2 * PAGE);
      assertThat(v.refcnt()).isEqualTo(2);
      from = v.end();
      v.endRead();
      n++;
    }
    assertThat(n).isEqualTo(9);
    VmArea next = mm.lockNextVma(A + PAGE);
    assertThat(next.start()).isEqualTo(A + 2 * PAGE);
    next.endRead();
    mm.assertQuiescent();
  }

  @Test
  @DisplayName("lock_next_vma never reports a gap that did not exist (F11), under mprotect churn")
  void lockNextVmaNoFalseGap() throws Exception {
    int pages = 32;
    mm.mmap(A, pages * PAGE, VM_READ | VM_WRITE);
    int scans = TestSupport.scaled(2_000);
    AtomicLong fallbacksSeen = new AtomicLong();
    TestSupport.Worker scanner =
        new TestSupport.Worker(
            "scanner",
            () -> {
              for (int s = 0; s < scans; s++) {
                long from = A;
                while (from < A + pages * PAGE) {
                  VmArea v = mm.lockNextVma(from);
                  try {
                    assertThat(v).as("mapped range ended early at %x", from).isNotNull();
                    assertThat(v.start())
                        .as("false gap before %s at %x", v, from)
                        .isLessThanOrEqualTo(from);
                    assertThat(v.end()).isGreaterThan(from);
                    from = v.end();
                  } finally {
                    v.endRead();
                  }
                }
              }
            });
    SplittableRandom rnd = new SplittableRandom(7);
    while (scanner.thread.isAlive()) {
      long p = rnd.nextInt(pages);
      long len = 1 + rnd.nextInt((int) (pages - p));
      mm.mprotect(A + p * PAGE, len * PAGE, rnd.nextBoolean() ? VM_READ : VM_READ | VM_WRITE);
      fallbacksSeen.incrementAndGet();
    }
    scanner.join();
    assertThat(fallbacksSeen.get()).isPositive();
    mm.assertQuiescent();
  }

  @Test
  @DisplayName(
      "lock_mm_and_find_vma: found with the read lock held; a hole gives null, nothing held")
  void lockMmAndFindVma() {
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea got = mm.lockMmAndFindVma(A + 100);
    assertThat(got).isSameAs(v);
    assertThat(mm.mmapLock().getReadHoldCount()).isEqualTo(1);
    mm.mmapReadUnlock();
    assertThat(mm.lockMmAndFindVma(A - PAGE)).isNull();
    assertThat(mm.lockMmAndFindVma(A + PAGE)).isNull();
    assertThat(mm.mmapLock().getReadLockCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
  }

  @Test
  @DisplayName(
      "lock_mm_and_find_vma expands a VM_GROWSDOWN stack (expand_stack_locked), downgrades")
  void stackExpansion() {
    long stack = 0x7000_0000L;
    VmArea s = mm.mmap(stack, 4 * PAGE, VM_READ | VM_WRITE | VM_GROWSDOWN);
    int seq = mm.mmLockSeq();
    VmArea got = mm.lockMmAndFindVma(stack - 3 * PAGE + 123);
    try {
      assertThat(got).isSameAs(s);
      assertThat(s.start()).isEqualTo(stack - 3 * PAGE);
      assertThat(s.end()).isEqualTo(stack + 4 * PAGE);
      assertThat(s.pgoff()).isEqualTo((stack >>> 12) - 3);
      assertThat(mm.mmapLock().getReadHoldCount()).isEqualTo(1);
      assertThat(mm.mmLockSeq()).as("one write period, ended by the downgrade").isEqualTo(seq + 2);
      assertThat(s.isWriteLocked()).isFalse();
    } finally {
      mm.mmapReadUnlock();
    }
    VmArea r = mm.lockVmaUnderRcu(stack - 3 * PAGE);
    assertThat(r).isSameAs(s);
    r.endRead();
  }

  @Test
  @DisplayName("stack expansion refused within the stack guard gap of the VMA below")
  void stackGuardGap() {
    long stack = 0x7000_0000L;
    mm.mmap(stack, 4 * PAGE, VM_READ | VM_WRITE | VM_GROWSDOWN);
    mm.mmap(stack - MmStruct.STACK_GUARD_GAP - 2 * PAGE, PAGE, VM_READ);
    assertThat(mm.lockMmAndFindVma(stack - MmStruct.STACK_GUARD_GAP)).isNull();
    assertThat(mm.mmapLock().getReadLockCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    VmArea ok = mm.lockMmAndFindVma(stack - PAGE);
    assertThat(ok).isNotNull();
    assertThat(ok.start()).isEqualTo(stack - PAGE);
    mm.mmapReadUnlock();
  }
}
