package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.rcu.Rcu;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SLAB_TYPESAFE_BY_RCU reuse: the re-checks of vma_start_read and lock_vma_under_rcu. */
class RecycleTest {
  private static final long A = 0x100_0000L;

  @Test
  @DisplayName("vm_area_free then vm_area_alloc hands the same object out at once (LIFO)")
  void immediateReuse() {
    VmAreaCache cache = new VmAreaCache();
    MmStruct a = MmStruct.builder().cache(cache).build();
    MmStruct b = MmStruct.builder().cache(cache).build();
    try {
      VmArea va = a.mmap(A, PAGE, VM_READ);
      a.munmap(A, PAGE);
      assertThat(va.refcnt()).isZero();
      VmArea vb = b.mmap(A + 16 * PAGE, PAGE, VM_READ | VM_WRITE);
      assertThat(vb).isSameAs(va);
      assertThat(vb.mm()).isSameAs(b);
      assertThat(cache.reuseCount()).isEqualTo(1);
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  @DisplayName(
      "vma_start_read: an object recycled by another mm is refused (vm_mm check), count restored")
  void recycledIntoOtherMmRefused() {
    VmAreaCache cache = new VmAreaCache();
    MmStruct a = MmStruct.builder().cache(cache).build();
    MmStruct b = MmStruct.builder().cache(cache).build();
    try {
      VmArea stale = a.mmap(A, PAGE, VM_READ);
      a.munmap(A, PAGE);
      VmArea vb = b.mmap(A, PAGE, VM_READ);
      assertThat(vb).isSameAs(stale);
      // A reader of mm a still holding the pointer from an earlier RCU walk:
      a.rcu().readLock();
      VmArea r = a.vmaStartRead(stale);
      assertThat(r).isNull();
      assertThat(a.rcu().isReadLocked()).as("vma_start_read drops RCU on failure").isFalse();
      assertThat(vb.refcnt()).isEqualTo(1);
      assertThat(a.lockVmaUnderRcu(A)).isNull();
      VmArea ok = b.lockVmaUnderRcu(A);
      assertThat(ok).isSameAs(vb);
      ok.endRead();
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  @DisplayName(
      "vma_start_read: a freed (detached) object gives -EAGAIN; a recycled range fails the re-check")
  void detachedAndRecycledInSameMm() {
    VmAreaCache cache = new VmAreaCache();
    MmStruct a = MmStruct.builder().cache(cache).build();
    try {
      VmArea v = a.mmap(A, PAGE, VM_READ);
      a.munmap(A, PAGE);
      a.rcu().readLock();
      assertThat(a.vmaStartRead(v)).isSameAs(MmStruct.EAGAIN);
      assertThat(a.rcu().isReadLocked()).isFalse();
      // Reused for another range of the same mm: vma_start_read succeeds, the range check fails.
      VmArea w = a.mmap(A + 64 * PAGE, PAGE, VM_WRITE);
      assertThat(w).isSameAs(v);
      a.rcu().readLock();
      VmArea r = a.vmaStartRead(v);
      a.rcu().readUnlock();
      assertThat(r).isSameAs(v);
      assertThat(r.contains(A)).as("lock_vma_under_rcu's range re-check would refuse it").isFalse();
      r.endRead();
      assertThat(a.lockVmaUnderRcu(A)).isNull();
    } finally {
      a.close();
    }
  }

  @Test
  @DisplayName("GRACE_PERIOD and NO_REUSE caches do not hand a freed object out at once")
  void otherModes() {
    Rcu rcu = Rcu.builder().reclaimerThread(false).build();
    try {
      VmAreaCache grace = new VmAreaCache(VmAreaCache.Mode.GRACE_PERIOD, rcu);
      MmStruct a = MmStruct.builder().cache(grace).rcu(rcu).build();
      VmArea v = a.mmap(A, PAGE, VM_READ);
      a.munmap(A, PAGE);
      assertThat(grace.size()).isZero();
      rcu.barrier();
      assertThat(grace.size()).isEqualTo(1);
      assertThat(a.mmap(A, PAGE, VM_READ)).isSameAs(v);
      a.close();

      VmAreaCache none = new VmAreaCache(VmAreaCache.Mode.NO_REUSE);
      MmStruct b = MmStruct.builder().cache(none).build();
      VmArea x = b.mmap(A, PAGE, VM_READ);
      b.munmap(A, PAGE);
      assertThat(b.mmap(A, PAGE, VM_READ)).isNotSameAs(x);
      assertThat(none.mode()).isEqualTo(VmAreaCache.Mode.NO_REUSE);
      b.close();
    } finally {
      rcu.close();
    }
  }

  @Test
  @DisplayName(
      "stress: readers of mm a never get a VMA of mm b, outside the address, or write-locked")
  void readersNeverSeeForeignOrWrongVmas() throws Exception {
    VmAreaCache cache = new VmAreaCache();
    MmStruct a = MmStruct.builder().cache(cache).build();
    MmStruct b = MmStruct.builder().cache(cache).build();
    int slots = 16;
    int ops = TestSupport.scaled(20_000);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong hits = new AtomicLong();
    try {
      TestSupport.Worker churnA =
          new TestSupport.Worker(
              "churn-a",
              () -> {
                SplittableRandom rnd = new SplittableRandom(1);
                for (int i = 0; i < ops && !stop.get(); i++) {
                  long addr = A + rnd.nextInt(slots) * 2 * PAGE;
                  int k = rnd.nextInt(3);
                  if (k == 0) {
                    a.mmap(
                        addr, PAGE * (1 + rnd.nextInt(3)), rnd.nextBoolean() ? VM_READ : VM_WRITE);
                  } else if (k == 1) {
                    a.munmap(addr, PAGE * (1 + rnd.nextInt(3)));
                  } else {
                    try {
                      a.mprotect(addr, PAGE, rnd.nextBoolean() ? VM_READ : VM_READ | VM_WRITE);
                    } catch (IllegalStateException hole) {
                      assertThat(hole).hasMessageContaining("ENOMEM");
                    }
                  }
                }
              });
      TestSupport.Worker churnB =
          new TestSupport.Worker(
              "churn-b",
              () -> {
                SplittableRandom rnd = new SplittableRandom(2);
                for (int i = 0; i < ops && !stop.get(); i++) {
                  long addr = A + rnd.nextInt(slots) * 2 * PAGE;
                  if (rnd.nextBoolean()) {
                    b.mmap(addr, PAGE * (1 + rnd.nextInt(3)), VM_READ);
                  } else {
                    b.munmap(addr, PAGE * (1 + rnd.nextInt(3)));
                  }
                }
              });
      TestSupport.Worker reader =
          new TestSupport.Worker(
              "reader",
              () -> {
                SplittableRandom rnd = new SplittableRandom(3);
                while (churnA.thread.isAlive() || churnB.thread.isAlive()) {
                  long addr = A + rnd.nextInt(slots * 2 + 4) * PAGE + rnd.nextInt(4096);
                  VmArea v = a.lockVmaUnderRcu(addr);
                  if (v != null) {
                    try {
                      assertThat(v.mm()).isSameAs(a);
                      assertThat(v.contains(addr)).as("%s contains %x", v, addr).isTrue();
                      assertThat(v.refcnt()).isGreaterThanOrEqualTo(2);
                      assertThat(v.isWriteLocked()).isFalse();
                      hits.incrementAndGet();
                    } finally {
                      v.endRead();
                    }
                  }
                }
              });
      try {
        churnA.join();
        churnB.join();
        reader.join();
      } finally {
        stop.set(true);
      }
      a.assertQuiescent();
      b.assertQuiescent();
    } finally {
      a.close();
      b.close();
    }
    assertThat(cache.reuseCount()).isPositive();
    assertThat(hits.get()).isPositive();
  }
}
