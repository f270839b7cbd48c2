package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaLockEvent;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The soak: a mixed workload straight against the mm API, in both lock modes, with debug mode (the
 * lockdep-like tracking) on. Reader threads run the kernel's read-side callers: the page fault
 * ({@code lock_vma_under_rcu}, falling back to {@code lock_mm_and_find_vma}), {@code
 * vma_start_read_unlocked}, an ordered {@code lock_next_vma} scan as {@code /proc/pid/maps}, and
 * {@code vma_lookup} under the mmap read lock; a writer thread runs {@code mmap} / {@code munmap} /
 * {@code mprotect} churn. Every call's result is checked while held (the VMA is attached, belongs
 * to the mm and covers the address; a scan never goes backwards or overlaps), and after every call
 * the thread must hold nothing ({@code assertNoLocksHeld}). At the end: zero violations, the mm
 * quiescent, every VMA's {@code refcnt()} back to 1, and {@code mapCount()} equal to a recount of
 * the tree. Operation counts are printed.
 *
 * <p>Length per lock mode: {@code -Dvmalock.soak.seconds=N} (default 2 s; the documented long run
 * uses 60).
 */
class SoakTest {

  static final long PAGE = MmStruct.PAGE_SIZE;
  static final long BASE = 0x10000000L;
  static final int SLOTS = 32;
  static final int SLOT_PAGES = 16;
  static final long END = BASE + (long) SLOTS * SLOT_PAGES * PAGE;
  static final long SEED = 0x5eed_50a4L;
  static final long[] PROTS = {
    VmFlags.VM_READ, VmFlags.VM_READ | VmFlags.VM_WRITE, VmFlags.VM_READ | VmFlags.VM_EXEC
  };

  enum Op {
    FAULT_PER_VMA,
    FAULT_FALLBACK,
    START_READ_UNLOCKED,
    PROC_MAPS_SCAN,
    VMA_LOOKUP,
    MISS,
    MMAP,
    MUNMAP,
    MPROTECT,
    MPROTECT_ENOMEM
  }

  static long seconds() {
    return Long.getLong("vmalock.soak.seconds", 2L);
  }

  final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

  void violation(String what) {
    if (violations.size() < 50) {
      violations.add(Thread.currentThread().getName() + ": " + what);
    }
  }

  void checkHeld(MmStruct mm, VmArea v, long addr) {
    if (v.mm() != mm) {
      violation("VMA of another mm: " + v);
    } else if (!v.contains(addr)) {
      violation("VMA not covering " + Long.toHexString(addr) + ": " + v);
    } else if (mm.lockMode() == LockMode.PER_VMA && !v.isAttached()) {
      violation("detached VMA returned: " + v);
    }
  }

  @ParameterizedTest
  @EnumSource(LockMode.class)
  @DisplayName(
      "soak: page fault, vma_start_read_unlocked, lock_next_vma, vma_lookup vs mmap/munmap/mprotect")
  void soak(LockMode mode) throws InterruptedException {
    MmStruct mm = MmStruct.builder().lockMode(mode).debug(true).build();
    for (int s = 0; s < SLOTS; s++) {
      mm.mmap(BASE + (long) s * SLOT_PAGES * PAGE, 8 * PAGE, PROTS[s % PROTS.length]);
    }
    Map<Op, AtomicLong> counts = new EnumMap<>(Op.class);
    for (Op op : Op.values()) {
      counts.put(op, new AtomicLong());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds());
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      SplittableRandom rnd = new SplittableRandom(SEED + i);
      threads.add(
          new Thread(() -> readerLoop(mm, mode, rnd, counts, deadline), "soak-reader-" + i));
    }
    SplittableRandom wrnd = new SplittableRandom(SEED - 1);
    threads.add(new Thread(() -> writerLoop(mm, wrnd, counts, deadline), "soak-writer"));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(seconds() + 120));
      assertThat(t.isAlive()).as("%s finished", t.getName()).isFalse();
    }

    // The end state: nothing held, nothing leaked, the count agrees with the tree.
    mm.assertQuiescent();
    int recount = 0;
    long prevEnd = 0;
    mm.mmapReadLock();
    try {
      for (VmArea v = mm.findVma(0); v != null; v = mm.findVma(v.end())) {
        recount++;
        assertThat(v.start()).as("VMAs ordered and disjoint").isGreaterThanOrEqualTo(prevEnd);
        // Back to the attach reference alone; MMAP_LOCK_ONLY never touches vm_refcnt (0).
        assertThat(v.refcnt()).as("refcnt of %s", v).isEqualTo(mode == LockMode.PER_VMA ? 1 : 0);
        prevEnd = v.end();
      }
      assertThat(mm.mapCount()).as("mapCount() vs a recount of the tree").isEqualTo(recount);
    } finally {
      mm.mmapReadUnlock();
    }
    System.out.printf(
        "soak %s, %d s, seed %#x: %s; VMAs at the end %d; VMA_LOCK_* %s%n",
        mode, seconds(), SEED, counts, recount, mm.vmaLockStats());
    assertThat(violations).as("violations").isEmpty();
    long total = counts.values().stream().mapToLong(AtomicLong::get).sum();
    assertThat(total).as("operations done").isPositive();
    mm.close();
  }

  void readerLoop(
      MmStruct mm, LockMode mode, SplittableRandom rnd, Map<Op, AtomicLong> counts, long deadline) {
    try {
      while (System.nanoTime() < deadline) {
        long addr = BASE + rnd.nextLong((END - BASE) / PAGE) * PAGE + rnd.nextLong(PAGE);
        int pick = rnd.nextInt(10);
        if (pick < 5) {
          pageFault(mm, addr, counts);
        } else if (pick < 7 && mode == LockMode.PER_VMA) {
          VmArea v = mm.vmaStartReadUnlocked(addr);
          if (v == null) {
            counts.get(Op.MISS).incrementAndGet();
          } else {
            checkHeld(mm, v, addr);
            v.endRead();
            counts.get(Op.START_READ_UNLOCKED).incrementAndGet();
          }
        } else if (pick < 8 && mode == LockMode.PER_VMA) {
          procMapsScan(mm);
          counts.get(Op.PROC_MAPS_SCAN).incrementAndGet();
        } else {
          mm.mmapReadLock();
          try {
            VmArea v = mm.vmaLookup(addr);
            if (v != null) {
              checkHeld(mm, v, addr);
            }
          } finally {
            mm.mmapReadUnlock();
          }
          counts.get(Op.VMA_LOOKUP).incrementAndGet();
        }
        mm.assertNoLocksHeld();
      }
    } catch (RuntimeException | AssertionError e) {
      violation("threw " + e);
    }
  }

  /** do_user_addr_fault: lock_vma_under_rcu, else lock_mm_and_find_vma. */
  void pageFault(MmStruct mm, long addr, Map<Op, AtomicLong> counts) {
    VmArea v = mm.lockVmaUnderRcu(addr);
    if (v != null) {
      checkHeld(mm, v, addr);
      v.endRead();
      mm.countVmaLockEvent(VmaLockEvent.SUCCESS); // the fault handler counts its successes
      counts.get(Op.FAULT_PER_VMA).incrementAndGet();
      return;
    }
    v = mm.lockMmAndFindVma(addr);
    if (v == null) {
      counts.get(Op.MISS).incrementAndGet();
      return;
    }
    try {
      if (mm.mmapLock().getReadHoldCount() != 1) {
        violation("lock_mm_and_find_vma returned without the mmap read lock");
      }
      if (!v.contains(addr)) {
        violation("lock_mm_and_find_vma returned a VMA not covering the address: " + v);
      }
    } finally {
      mm.mmapReadUnlock();
    }
    counts.get(Op.FAULT_FALLBACK).incrementAndGet();
  }

  /**
   * /proc/pid/maps: an ordered lock_next_vma scan always moves forward. (Two consecutive VMAs may
   * overlap: a merge between the two steps legitimately returns a VMA starting below the previous
   * end, as the kernel's scan would print it.)
   */
  void procMapsScan(MmStruct mm) {
    long from = BASE;
    for (VmArea v = mm.lockNextVma(from); v != null; v = mm.lockNextVma(from)) {
      try {
        if (v.end() <= from) {
          violation("scan went backwards at " + Long.toHexString(from) + ": " + v);
        }
        checkHeld(mm, v, Math.max(from, v.start()));
        from = v.end();
      } finally {
        v.endRead();
      }
    }
  }

  void writerLoop(MmStruct mm, SplittableRandom rnd, Map<Op, AtomicLong> counts, long deadline) {
    try {
      while (System.nanoTime() < deadline) {
        int slot = rnd.nextInt(SLOTS);
        long start = BASE + (long) slot * SLOT_PAGES * PAGE + rnd.nextInt(SLOT_PAGES - 4) * PAGE;
        long len = (1 + rnd.nextInt(4)) * PAGE;
        long prot = PROTS[rnd.nextInt(PROTS.length)];
        switch (rnd.nextInt(3)) {
          case 0 -> {
            VmArea v = mm.mmap(start, len, prot);
            if (v == null) {
              violation("mmap returned null");
            }
            counts.get(Op.MMAP).incrementAndGet();
          }
          case 1 -> {
            mm.munmap(start, len);
            counts.get(Op.MUNMAP).incrementAndGet();
          }
          default -> {
            try {
              mm.mprotect(start, len, prot);
              counts.get(Op.MPROTECT).incrementAndGet();
            } catch (IllegalStateException e) {
              if (!e.getMessage().contains("ENOMEM")) {
                throw e;
              }
              counts.get(Op.MPROTECT_ENOMEM).incrementAndGet();
            }
          }
        }
        mm.assertNoLocksHeld();
      }
    } catch (RuntimeException | AssertionError e) {
      violation("threw " + e);
    }
  }
}
