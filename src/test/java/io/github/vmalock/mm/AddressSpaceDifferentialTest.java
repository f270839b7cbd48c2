package io.github.vmalock.mm;

import static io.github.vmalock.mm.VmFlags.VM_DONTEXPAND;
import static io.github.vmalock.mm.VmFlags.VM_EXEC;
import static io.github.vmalock.mm.VmFlags.VM_GROWSDOWN;
import static io.github.vmalock.mm.VmFlags.VM_IO;
import static io.github.vmalock.mm.VmFlags.VM_MIXEDMAP;
import static io.github.vmalock.mm.VmFlags.VM_PFNMAP;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seeded random differential test of the address-space operations ({@code mmap}, {@code munmap},
 * {@code mprotect}) against a page-granular reference model.
 *
 * <p>The reference keeps, per 4 KiB page, the VMA flags and a segment id; {@code pgoff} of an
 * anonymous page is its page number ({@code addr >>> 12}). The expected VMA list is derived from it
 * as the kernel's {@code vma_merge} would leave it: adjacent pages belong to one VMA when their
 * flags are equal and their {@code pgoff}s contiguous, unless the flags contain one of {@code
 * VM_SPECIAL} ({@code VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP}), which never merge: then
 * the pages must also come from the same mapping (same segment id). {@code mprotect} to unchanged
 * flags leaves a VMA alone ({@code mprotect_fixup}'s {@code newflags == oldflags} early return), so
 * it splits nothing.
 *
 * <p>After every step the test compares the model's VMA list (walked with {@code findVma} under the
 * mmap read lock), {@code mapCount()}, {@code vmaLookup}/{@code findVmaPrev}/{@code
 * findVmaIntersection} around the changed range, every VMA's {@code refcnt()} (1: attached, no
 * reader), that no VMA is left write-locked and that {@code mm_lock_seq} is even and moved by one
 * write period, and that the maple tree validates. Top-down {@code mmap(length, flags)} must land
 * where {@code unmapped_area_topdown} would (highest gap, retried below a {@code VM_GROWSDOWN}
 * VMA's guard gap), or fail with ENOMEM when nothing fits; {@code mprotect} over a hole must fail
 * with ENOMEM after changing the part before the hole. On every 16th step of the main run, a read
 * reference on one VMA near the range checks that the operation write-locks exactly the VMAs the
 * kernel would (see {@code Run.invoke}).
 *
 * <p>Further runs: every lock mode and cache mode; two mms sharing one recycling cache while a
 * reader races the writer ({@code F1}-{@code F4}, {@code I1}); and readers in an always-mapped
 * region while {@code mprotect} splits and merges it, where {@code lock_next_vma} must never report
 * a gap ({@code F11}) and {@code vma_start_read_unlocked} never return null ({@code F9}).
 *
 * <p>The seed is printed on failure; rerun with {@code -Dvmalock.seed=...}. The number of
 * operations follows {@code vmalock.scale} (100,000 in the main run by default, 2,000,000 with
 * {@code large}).
 *
 * <p>Invariants cited here: see docs/invariants.md#i1, docs/invariants.md#f1,
 * docs/invariants.md#f2, docs/invariants.md#f3, docs/invariants.md#f4, docs/invariants.md#f6,
 * docs/invariants.md#f7, docs/invariants.md#f9, docs/invariants.md#f11.
 */
class AddressSpaceDifferentialTest {

  private static final long PAGE = 4096;

  /** Pages of the test address space; {@code taskSize = PAGES * PAGE}. */
  private static final int PAGES = 1024;

  /** Fixed mappings stay at or above this page: page 0 is never mapped, as in the kernel. */
  private static final int LOW = (int) (MmStruct.MMAP_MIN_ADDR / PAGE);

  /** {@code stack_guard_gap} in pages. */
  private static final int GUARD_PAGES = (int) (MmStruct.STACK_GUARD_GAP / PAGE);

  private static final long SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
  private static final long RWX = VM_READ | VM_WRITE | VM_EXEC;
  private static final int EXCLUDE_READERS = 1 << 30;

  /** Flags a mapping is created with; weighted towards the few common ones so merges happen. */
  private static final long[] MMAP_FLAGS = {
    VM_READ | VM_WRITE,
    VM_READ | VM_WRITE,
    VM_READ | VM_WRITE,
    VM_READ,
    VM_READ,
    VM_READ | VM_EXEC,
    0,
    VM_READ | VM_WRITE | VM_EXEC,
    VM_READ | VM_WRITE | VM_IO,
    VM_READ | VM_PFNMAP,
    VM_READ | VM_DONTEXPAND,
    VM_READ | VM_WRITE | VM_MIXEDMAP,
    VM_READ | VM_WRITE | VM_GROWSDOWN,
  };

  private static int operations() {
    return TestSupport.scaled(100_000); // large: 2,000,000
  }

  private static long seed() {
    Long fixed = Long.getLong("vmalock.seed");
    return fixed != null ? fixed : new SplittableRandom().nextLong();
  }

  @Test
  @DisplayName("mmap/munmap/mprotect against a page-granular reference (vma_merge, split)")
  void randomOperationsMatchReference() {
    long seed = seed();
    MmStruct mm = MmStruct.builder().taskSize(PAGES * PAGE).build();
    Run run = new Run(seed, mm, operations());
    run.probes = true;
    try {
      run.run();
    } finally {
      run.shutdown();
      mm.close();
    }
  }

  @ParameterizedTest(name = "{0}, VmAreaCache.{1}")
  @CsvSource({
    "PER_VMA, NO_REUSE",
    "PER_VMA, GRACE_PERIOD",
    "MMAP_LOCK_ONLY, IMMEDIATE_REUSE",
    "MMAP_LOCK_ONLY, NO_REUSE"
  })
  @DisplayName("the same address space in every lock mode and cache mode")
  void lockAndCacheModesMatchReference(LockMode lockMode, VmAreaCache.Mode cacheMode) {
    long seed = seed();
    MmStruct mm =
        MmStruct.builder()
            .lockMode(lockMode)
            .cache(new VmAreaCache(cacheMode))
            .taskSize(PAGES * PAGE)
            .build();
    try {
      new Run(seed, mm, operations() / 20).run();
    } finally {
      mm.close();
    }
  }

  @Test
  @DisplayName("two mms sharing one recycling VmAreaCache, readers racing the writer (F1-F4, I1)")
  void twoMmsSharingRecyclingCacheWithRacingReader() throws Exception {
    long seed = seed();
    VmAreaCache cache = new VmAreaCache(VmAreaCache.Mode.IMMEDIATE_REUSE);
    MmStruct a = MmStruct.builder().cache(cache).taskSize(PAGES * PAGE).build();
    MmStruct b = MmStruct.builder().cache(cache).taskSize(PAGES * PAGE).build();
    Reader reader = new Reader(a, seed);
    Thread thread = new Thread(reader, "racing-reader");
    try {
      Run runA = new Run(seed, a, 0);
      Run runB = new Run(seed ^ 0x5DEECE66DL, b, 0);
      runA.concurrentReaders = true;
      // The reader walks only mm a, but the cache is shared: its increment can land on an object
      // just recycled into mm b, which it drops again once it sees vm_mm != a (vma_start_read's
      // foreign-mm path). So b's counts may be transiently above 1 too.
      runB.concurrentReaders = true;
      thread.start();
      int steps = operations() / 20;
      for (int i = 0; i < steps && reader.failure == null; i++) {
        runA.step(i);
        runB.step(i);
      }
      reader.stop = true;
      thread.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(thread.isAlive()).as("reader stopped").isFalse();
      if (reader.failure != null) {
        throw new AssertionError(
            "seed=" + seed + ": racing reader saw a forbidden outcome", reader.failure);
      }
      assertThat(reader.locked)
          .as("the reader locked VMAs at all (%d misses)", reader.nulls)
          .isPositive();
      // Quiescent again: every count back to 1; the other mm was never touched by the recycling.
      runA.concurrentReaders = false;
      runB.concurrentReaders = false;
      runA.compare("final check after the racing reader stopped");
      runB.compare("final check after interleaving with the other mm");
    } finally {
      reader.stop = true;
      thread.join(TimeUnit.SECONDS.toMillis(60));
      if (!thread.isAlive()) {
        a.close(); // a stuck reader would make close() wait for it forever
        b.close();
      }
    }
  }

  @Test
  @DisplayName(
      "split and merge never open a gap: lock_next_vma (F11) and vma_start_read_unlocked (F9)"
          + " in an always-mapped region")
  void splitAndMergeNeverOpenAGap() throws Exception {
    long seed = seed();
    SplittableRandom rnd = new SplittableRandom(seed);
    MmStruct mm = MmStruct.builder().taskSize(PAGES * PAGE).build();
    // [lo, hi) stays mapped throughout: the writer only mprotects inside it, which splits and
    // merges VMAs (the kernel stores each new range over the old one, so no address is ever
    // uncovered); outside it, it maps and unmaps to churn the tree and the VMA cache.
    int lo = 256;
    int hi = 320;
    mm.mmap(lo * PAGE, (hi - lo) * PAGE, VM_READ | VM_WRITE);
    GapReader reader = new GapReader(mm, lo, hi, seed);
    Thread thread = new Thread(reader, "gap-reader");
    thread.start();
    try {
      int steps = TestSupport.scaled(20_000);
      for (int i = 0; i < steps && reader.failure == null; i++) {
        int start = lo + rnd.nextInt(hi - lo);
        int len = 1 + rnd.nextInt(Math.min(8, hi - start));
        if (rnd.nextInt(4) == 0) {
          int out = LOW + rnd.nextInt(lo - LOW - 8);
          if (rnd.nextBoolean()) {
            mm.mmap(out * PAGE, (1 + rnd.nextInt(8)) * PAGE, MMAP_FLAGS[rnd.nextInt(6)]);
          } else {
            mm.munmap(out * PAGE, (1 + rnd.nextInt(8)) * PAGE);
          }
        } else {
          mm.mprotect(start * PAGE, len * PAGE, 1 + rnd.nextInt(7));
        }
      }
    } finally {
      reader.stop = true;
      thread.join(TimeUnit.SECONDS.toMillis(60));
    }
    try {
      assertThat(thread.isAlive()).as("reader stopped").isFalse();
      if (reader.failure != null) {
        throw new AssertionError("seed=" + seed + ": " + reader.failure, reader.failure);
      }
      assertThat(reader.reads).as("reads completed").isPositive();
    } finally {
      if (!thread.isAlive()) {
        mm.close();
      }
    }
  }

  /** Reads inside an always-mapped region, where no lookup may ever report a gap. */
  private static final class GapReader implements Runnable {
    private final MmStruct mm;
    private final int lo;
    private final int hi;
    private final SplittableRandom rnd;
    volatile boolean stop;
    volatile Throwable failure;
    long reads;

    GapReader(MmStruct mm, int lo, int hi, long seed) {
      this.mm = mm;
      this.lo = lo;
      this.hi = hi;
      this.rnd = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    }

    @Override
    public void run() {
      try {
        while (!stop) {
          long addr = (lo + rnd.nextInt(hi - lo)) * PAGE + rnd.nextInt((int) PAGE);
          int how = rnd.nextInt(3);
          VmArea v;
          if (how == 0) {
            v = mm.lockNextVma(addr);
            check(
                v != null, () -> "F11: lock_next_vma(" + Long.toHexString(addr) + ") hit the end");
            check(
                v.start() <= addr && addr < v.end(),
                () -> "F11: lock_next_vma(" + Long.toHexString(addr) + ") reported a gap: " + v);
          } else if (how == 1) {
            v = mm.vmaStartReadUnlocked(addr);
            check(
                v != null,
                () -> "F9: vma_start_read_unlocked(" + Long.toHexString(addr) + ") returned null");
            check(v.contains(addr), () -> "F9: " + v + " returned for " + Long.toHexString(addr));
          } else {
            v = mm.lockVmaUnderRcu(addr);
            if (v == null) {
              continue; // allowed under contention
            }
            check(v.contains(addr), () -> "F1: " + v + " returned for " + Long.toHexString(addr));
          }
          try {
            check(v.mm() == mm, () -> "F3: " + v + " belongs to another mm");
            check(!v.isWriteLocked(), () -> "F4: " + v + " returned write-locked");
            reads++;
          } finally {
            v.endRead();
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }
  }

  /**
   * A reader on one mm: {@code lockVmaUnderRcu} (mostly) or {@code vmaStartReadUnlocked} at random
   * addresses; every VMA it gets must contain the address (F1), be attached (F2), belong to this mm
   * (F3), not be write-locked (F4), and keep its fields while the reader holds it (I1).
   */
  private static final class Reader implements Runnable {
    private final MmStruct mm;
    private final SplittableRandom rnd;
    volatile boolean stop;
    volatile Throwable failure;
    long locked;
    long nulls;

    Reader(MmStruct mm, long seed) {
      this.mm = mm;
      this.rnd = new SplittableRandom(seed * 31 + 7);
    }

    @Override
    public void run() {
      try {
        while (!stop) {
          long addr = (LOW + rnd.nextInt(PAGES - LOW)) * PAGE + rnd.nextInt((int) PAGE);
          VmArea v = rnd.nextInt(8) == 0 ? mm.vmaStartReadUnlocked(addr) : mm.lockVmaUnderRcu(addr);
          if (v == null) {
            nulls++;
            continue;
          }
          try {
            check(v.contains(addr), () -> "F1: " + v + " returned for " + Long.toHexString(addr));
            check(v.mm() == mm, () -> "F3: " + v + " belongs to another mm");
            int ref = v.refcnt();
            check(
                (ref & (VmArea.VM_REFCNT_LIMIT)) >= 2,
                () -> "F2: " + v + " returned with refcnt " + Integer.toHexString(ref));
            check(!v.isWriteLocked(), () -> "F4: " + v + " returned write-locked");
            long start = v.start();
            long end = v.end();
            long flags = v.flags();
            long pgoff = v.pgoff();
            for (int i = 0; i < 50; i++) {
              Thread.onSpinWait();
            }
            check(
                start == v.start() && end == v.end() && flags == v.flags() && pgoff == v.pgoff(),
                () ->
                    "I1: "
                        + v
                        + " changed while read-locked (was "
                        + Long.toHexString(start)
                        + "-"
                        + Long.toHexString(end)
                        + ")");
            check(v.mm() == mm && v.isAttached(), () -> "F6/F7: " + v + " freed while read-locked");
            locked++;
          } finally {
            v.endRead();
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }
  }

  /** One reference-checked run over one mm. */
  private static final class Run {
    private final long seed;
    private final SplittableRandom rnd;
    private final MmStruct mm;
    private final int steps;

    /** Whether some steps check which VMAs the operation write-locks (single-threaded runs). */
    boolean probes;

    private boolean probeThisStep;
    private int probedLocked;
    private int probedAlone;
    private ExecutorService writer;

    /** A racing reader may hold read references: refcnt may exceed 1 between operations. */
    boolean concurrentReaders;

    /** Flags per page; -1 = unmapped. */
    private final long[] flags = new long[PAGES];

    /** Mapping identity per page, only meaningful for VM_SPECIAL pages. */
    private final long[] segment = new long[PAGES];

    private long nextSegment = 1;
    private final Deque<String> history = new ArrayDeque<>();
    private int step;

    Run(long seed, MmStruct mm, int steps) {
      this.seed = seed;
      this.rnd = new SplittableRandom(seed);
      this.mm = mm;
      this.steps = steps;
      Arrays.fill(flags, -1);
    }

    void run() {
      for (int i = 0; i < steps; i++) {
        step(i);
      }
      if (probes) {
        assertThat(probedLocked).as("probes of VMAs the operation write-locks").isPositive();
        assertThat(probedAlone).as("probes of VMAs the operation leaves alone").isPositive();
      }
    }

    void step(int i) {
      step = i;
      probeThisStep = probes && rnd.nextInt(16) == 0;
      int kind = rnd.nextInt(100);
      try {
        if (kind < 35) {
          mmapFixed();
        } else if (kind < 45) {
          mmapTopDown();
        } else if (kind < 70) {
          munmap();
        } else {
          mprotect();
        }
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(failureContext(e.toString()), e);
      }
    }

    private String failureContext(String what) {
      return "seed="
          + seed
          + " (rerun with -Dvmalock.seed="
          + seed
          + ") step="
          + step
          + ": "
          + what
          + "\nlast operations:\n  "
          + String.join("\n  ", history)
          + "\nexpected:\n"
          + render(expected())
          + "model dumpMaps():\n"
          + safeDump();
    }

    private String safeDump() {
      try {
        return mm.dumpMaps();
      } catch (RuntimeException e) {
        return "<dumpMaps threw " + e + ">";
      }
    }

    private void record(String op) {
      history.addLast(op);
      if (history.size() > 12) {
        history.removeFirst();
      }
    }

    private int randomLength(int from) {
      int max = PAGES - from;
      int len = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(64) : 1 + rnd.nextInt(8);
      return Math.min(len, max);
    }

    private long randomMmapFlags() {
      return MMAP_FLAGS[rnd.nextInt(MMAP_FLAGS.length)];
    }

    private void mmapFixed() {
      int start = LOW + rnd.nextInt(PAGES - LOW);
      int len = randomLength(start);
      long f = randomMmapFlags();
      record("mmap(" + hex(start) + ", " + len + " pages, " + VmFlags.toString(f) + ")");
      int seq = mm.mmLockSeq();
      List<Vma> before = probeThisStep ? expected() : null;
      long seg = nextSegment++;
      for (int p = start; p < start + len; p++) {
        flags[p] = f;
        segment[p] = seg;
      }
      VmArea v =
          invoke(() -> mm.mmap(start * PAGE, len * PAGE, f), before, start, start + len, true);
      check(
          v != null && v.contains(start * PAGE),
          () -> "mmap returned " + v + ", not covering addr");
      check(v.flags() == f, () -> "mmap returned " + v + " without the flags asked for");
      afterSuccess(seq, start, start + len);
    }

    private void mmapTopDown() {
      int len = randomLength(LOW);
      long f = randomMmapFlags();
      int expect = highestGap(len);
      record(
          "mmap("
              + len
              + " pages, "
              + VmFlags.toString(f)
              + ") top-down, expect "
              + (expect < 0 ? "ENOMEM" : hex(expect)));
      int seq = mm.mmLockSeq();
      if (expect < 0) {
        assertThatThrownBy(() -> mm.mmap(len * PAGE, f))
            .as("no gap of %d pages above MMAP_MIN_ADDR", len)
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("ENOMEM");
        compare("after failed top-down mmap");
        return;
      }
      List<Vma> before = probeThisStep ? expected() : null;
      long seg = nextSegment++;
      for (int p = expect; p < expect + len; p++) {
        flags[p] = f;
        segment[p] = seg;
      }
      VmArea v = invoke(() -> mm.mmap(len * PAGE, f), before, expect, expect + len, true);
      check(
          v != null && v.contains(expect * PAGE),
          () ->
              "get_unmapped_area top-down: the highest gap of "
                  + len
                  + " pages (keeping the stack guard gap) starts at "
                  + hex(expect)
                  + ", got "
                  + v);
      afterSuccess(seq, expect, expect + len);
    }

    /**
     * {@code unmapped_area_topdown}: the highest start page at or above {@code LOW} of {@code len}
     * free pages below the limit (first {@code PAGES}); if the VMA following that range is {@code
     * VM_GROWSDOWN} and its {@code vm_start_gap()} (start minus {@code stack_guard_gap}) lies below
     * the range's end, the limit drops to that gap start and the search is retried, as the kernel's
     * {@code retry} does. -1 if there is no range.
     */
    private int highestGap(int len) {
      int limit = PAGES;
      for (; ; ) {
        int p = highestFree(len, limit);
        if (p < 0) {
          return -1;
        }
        int above = p + len;
        while (above < PAGES && flags[above] < 0) {
          above++;
        }
        if (above == PAGES || (flags[above] & VM_GROWSDOWN) == 0) {
          return p;
        }
        int startGap = above - GUARD_PAGES;
        if (startGap >= p + len) {
          return p;
        }
        limit = startGap;
      }
    }

    /**
     * The highest {@code p >= LOW} with pages {@code [p, p + len)} free and below {@code limit}.
     */
    private int highestFree(int len, int limit) {
      int run = 0;
      for (int p = limit - 1; p >= LOW; p--) {
        run = flags[p] < 0 ? run + 1 : 0;
        if (run == len) {
          return p;
        }
      }
      return -1;
    }

    private void munmap() {
      int start = LOW + rnd.nextInt(PAGES - LOW);
      int len = randomLength(start);
      record("munmap(" + hex(start) + ", " + len + " pages)");
      int seq = mm.mmLockSeq();
      List<Vma> before = probeThisStep ? expected() : null;
      for (int p = start; p < start + len; p++) {
        flags[p] = -1;
      }
      invoke(
          () -> {
            mm.munmap(start * PAGE, len * PAGE);
            return null;
          },
          before,
          start,
          start + len,
          true);
      afterSuccess(seq, start, start + len);
    }

    private void mprotect() {
      int start;
      int len;
      if (rnd.nextInt(4) != 0) {
        // Mostly a range inside a mapped run, so that the call succeeds and splits/merges.
        int p = LOW + rnd.nextInt(PAGES - LOW);
        while (p < PAGES && flags[p] < 0) {
          p++;
        }
        if (p == PAGES) {
          return;
        }
        int runEnd = p;
        while (runEnd < PAGES && flags[runEnd] >= 0) {
          runEnd++;
        }
        start = p + rnd.nextInt(Math.min(runEnd - p, 16));
        len = 1 + rnd.nextInt(Math.min(runEnd - start, 24));
      } else {
        start = LOW + rnd.nextInt(PAGES - LOW);
        len = randomLength(start);
      }
      long prot = rnd.nextInt(8); // VM_READ | VM_WRITE | VM_EXEC subsets: kernel bit values 1, 2, 4
      record("mprotect(" + hex(start) + ", " + len + " pages, " + VmFlags.toString(prot) + ")");
      int firstHole = -1;
      for (int p = start; p < start + len && firstHole < 0; p++) {
        if (flags[p] < 0) {
          firstHole = p;
        }
      }
      int seq = mm.mmLockSeq();
      if (firstHole >= 0) {
        // do_mprotect_pkey(): the pages before the first hole change, then ENOMEM.
        Map<Long, Long> renumberPrefix = new HashMap<>();
        for (int p = start; p < firstHole; p++) {
          long nf = (flags[p] & ~RWX) | prot;
          if (nf != flags[p]) {
            if ((flags[p] & SPECIAL) != 0) {
              segment[p] = renumberPrefix.computeIfAbsent(segment[p], s -> nextSegment++);
            }
            flags[p] = nf;
          }
        }
        assertThatThrownBy(() -> mm.mprotect(start * PAGE, len * PAGE, prot))
            .as("mprotect over a hole fails with ENOMEM after changing the part before it")
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("ENOMEM");
        compare("after failed mprotect");
        return;
      }
      List<Vma> before = probeThisStep ? expected() : null;
      Map<Long, Long> renumber = new HashMap<>();
      for (int p = start; p < start + len; p++) {
        long nf = (flags[p] & ~RWX) | prot;
        if (nf != flags[p]) {
          if ((flags[p] & SPECIAL) != 0) {
            segment[p] = renumber.computeIfAbsent(segment[p], s -> nextSegment++);
          }
          flags[p] = nf;
        }
      }
      invoke(
          () -> {
            mm.mprotect(start * PAGE, len * PAGE, prot);
            return null;
          },
          before,
          start,
          start + len,
          false);
      afterSuccess(seq, start, start + len);
    }

    /**
     * Calls the model. On a probe step ({@code before != null}, the reference already updated),
     * first takes a read reference on one VMA of the old layout near {@code [from, to)} and runs
     * the call on the writer thread: it must {@code vma_start_write} that VMA (set the
     * exclude-readers flag and wait for the reference) exactly when the kernel would: when the VMA
     * overlaps the range of an {@code mmap}/{@code munmap} ({@code overlapLocks}), or when it does
     * not survive unchanged (same range and flags) into the new layout; otherwise the call must
     * finish while the reference is held.
     */
    private <T> T invoke(
        Supplier<T> call, List<Vma> before, int from, int to, boolean overlapLocks) {
      if (before == null || before.isEmpty()) {
        return call.get();
      }
      List<Vma> near = new ArrayList<>();
      for (Vma v : before) {
        if (v.end >= (from - 1) * PAGE && v.start <= (to + 1) * PAGE) {
          near.add(v);
        }
      }
      Vma target =
          near.isEmpty() || rnd.nextInt(4) == 0
              ? before.get(rnd.nextInt(before.size()))
              : near.get(rnd.nextInt(near.size()));
      boolean overlaps = target.end > from * PAGE && target.start < to * PAGE;
      boolean expectLocked = (overlapLocks && overlaps) || !expected().contains(target);
      VmArea held = mm.lockVmaUnderRcu(target.start);
      check(
          held != null && target.equals(Vma.of(held)),
          () -> "uncontended lock_vma_under_rcu(" + target + ") returned " + held);
      record("  probe: read reference on " + target + ", expect write-locked: " + expectLocked);
      if (expectLocked) {
        probedLocked++;
      } else {
        probedAlone++;
      }
      Future<T> writer = writerThread().submit(call::get);
      try {
        if (expectLocked) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while ((held.refcnt() & EXCLUDE_READERS) == 0) {
            check(
                !writer.isDone(),
                () ->
                    "the operation finished while a reader held "
                        + target
                        + ": it did not vma_start_write() a VMA it changed or removed");
            check(System.nanoTime() < deadline, () -> "writer neither finished nor waited");
            LockSupport.parkNanos(20_000);
          }
          check(!writer.isDone(), () -> "the operation finished past a reader of " + target);
        } else {
          try {
            writer.get(60, TimeUnit.SECONDS);
          } catch (TimeoutException e) {
            throw new AssertionError(
                "the operation blocked on a reader of "
                    + target
                    + ", a VMA the kernel leaves alone (refcnt 0x"
                    + Integer.toHexString(held.refcnt())
                    + ")");
          }
        }
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError("writer thread: " + e, e);
      } finally {
        held.endRead();
      }
      try {
        return writer.get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException) {
          throw (RuntimeException) e.getCause();
        }
        throw new AssertionError("writer thread: " + e.getCause(), e.getCause());
      } catch (InterruptedException | TimeoutException e) {
        throw new AssertionError("writer thread did not finish: " + e, e);
      }
    }

    private ExecutorService writerThread() {
      if (writer == null) {
        writer =
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "differential-writer");
                  t.setDaemon(true);
                  return t;
                });
      }
      return writer;
    }

    void shutdown() {
      if (writer != null) {
        writer.shutdownNow();
      }
    }

    private void afterSuccess(int seqBefore, int from, int to) {
      int seq = mm.mmLockSeq();
      check((seq & 1) == 0, () -> "mm_lock_seq odd after the operation: " + seq);
      // Without per-VMA locks mm_lock_seqcount_begin/end are empty stubs: the sequence stays.
      int periods = mm.lockMode() == LockMode.PER_VMA ? 2 : 0;
      check(
          seq - seqBefore == periods,
          () ->
              "one mmap write-lock period per operation: mm_lock_seq " + seqBefore + " -> " + seq);
      compare("after operation");
      if ((step & 1023) == 0) {
        checkDumpMaps();
      }
      checkLookups(Math.max(0, from - 2), Math.min(PAGES, to + 2));
    }

    /** Expected VMA list from the page map. */
    List<Vma> expected() {
      List<Vma> out = new ArrayList<>();
      int p = 0;
      while (p < PAGES) {
        if (flags[p] < 0) {
          p++;
          continue;
        }
        int s = p;
        p++;
        while (p < PAGES && sameVma(p - 1, p)) {
          p++;
        }
        out.add(new Vma(s * PAGE, p * PAGE, flags[s], s));
      }
      return out;
    }

    private boolean sameVma(int a, int b) {
      if (flags[b] < 0 || flags[a] != flags[b]) {
        return false;
      }
      // pgoff contiguity holds for anonymous pages (pgoff == page number), so only VM_SPECIAL
      // mappings need identity: they never merge with anything.
      return (flags[a] & SPECIAL) == 0 || segment[a] == segment[b];
    }

    List<Vma> actual(List<VmArea> objects) {
      List<Vma> out = new ArrayList<>();
      mm.mmapReadLock();
      try {
        VmArea v = mm.findVma(0);
        while (v != null) {
          objects.add(v);
          out.add(new Vma(v.start(), v.end(), v.flags(), v.pgoff()));
          VmArea next = mm.findVma(v.end());
          if (next != null && next.start() < v.end()) {
            throw new AssertionError("findVma walk not ordered: " + v + " then " + next);
          }
          v = next;
        }
      } finally {
        mm.mmapReadUnlock();
      }
      return out;
    }

    void compare(String when) {
      List<VmArea> objects = new ArrayList<>();
      List<Vma> got = actual(objects);
      List<Vma> want = expected();
      if (!got.equals(want)) {
        throw new AssertionError(
            when + ": VMA list differs\nexpected:\n" + render(want) + "actual:\n" + render(got));
      }
      check(mm.mapCount() == want.size(), () -> when + ": mapCount() " + mm.mapCount());
      boolean perVma = mm.lockMode() == LockMode.PER_VMA;
      for (VmArea v : objects) {
        if (!perVma) {
          // CONFIG_PER_VMA_LOCK=n: no vm_refcnt, no attach state, no VMA write locks.
          check(v.mm() == mm, () -> when + ": " + v + " belongs to another mm");
          continue;
        }
        // Plain checks on this hot path: AssertJ per VMA per step would dominate the run time.
        int ref = v.refcnt();
        check(
            ref == 1 || (concurrentReaders && ref > 1 && ref <= VmArea.VM_REFCNT_LIMIT),
            () -> when + ": refcnt of " + v + " is " + Integer.toHexString(ref) + ", not 1");
        check(v.isAttached(), () -> when + ": " + v + " in the tree but detached");
        check(!v.isWriteLocked(), () -> when + ": " + v + " write-locked after the operation");
        check(v.mm() == mm, () -> when + ": " + v + " belongs to another mm");
      }
      check(!mm.mmapLock().isWriteLocked(), () -> when + ": mmap write lock still held");
      check(
          concurrentReaders || mm.mmapLock().getReadLockCount() == 0,
          () -> when + ": mmap read lock still held");
      mm.mmMt.validate();
    }

    /** {@code dumpMaps()}: one line per VMA, in order, with its range and permissions. */
    private void checkDumpMaps() {
      List<Vma> want = expected();
      String[] lines = mm.dumpMaps().split("\\R");
      int n = lines.length == 1 && lines[0].isEmpty() ? 0 : lines.length;
      check(n == want.size(), () -> "dumpMaps() has " + n + " lines for " + want.size() + " VMAs");
      for (int i = 0; i < n; i++) {
        Vma v = want.get(i);
        String line = lines[i];
        check(
            line.startsWith(String.format("%08x-%08x", v.start, v.end))
                && line.contains(VmFlags.toString(v.flags)),
            () -> "dumpMaps() line \"" + line + "\" for " + v);
      }
    }

    /** Checks the lookup functions page by page over {@code [from, to)}. */
    private void checkLookups(int from, int to) {
      List<Vma> want = expected();
      // firstAfter[p]: index of the first expected VMA with end > any address in page p.
      int[] firstAfter = new int[PAGES + 1];
      int idx = want.size();
      firstAfter[PAGES] = idx;
      for (int p = PAGES - 1; p >= 0; p--) {
        while (idx > 0 && want.get(idx - 1).end > p * PAGE) {
          idx--;
        }
        firstAfter[p] = idx;
      }
      mm.mmapReadLock();
      try {
        for (int p = from; p < to; p++) {
          long page = p * PAGE;
          long addr = page + (p % 3) * 1000; // unaligned lookups are legitimate
          int i = firstAfter[p];
          Vma after = i < want.size() ? want.get(i) : null;
          Vma in = after != null && after.start <= addr ? after : null;
          // find_vma_prev: the VMA before find_vma's result (the last one if there is none).
          Vma before = i > 0 ? want.get(i - 1) : null;
          Vma hit = after != null && after.start < page + 2 * PAGE ? after : null;
          expectLookup("vmaLookup", addr, mm.vmaLookup(addr), in);
          expectLookup("findVma", addr, mm.findVma(addr), after);
          expectLookup("findVmaPrev", addr, mm.findVmaPrev(addr), before);
          expectLookup(
              "findVmaIntersection(+2 pages)",
              page,
              mm.findVmaIntersection(page, page + 2 * PAGE),
              hit);
        }
      } finally {
        mm.mmapReadUnlock();
      }
    }
  }

  private static void check(boolean ok, Supplier<String> message) {
    if (!ok) {
      throw new AssertionError(message.get());
    }
  }

  private static void expectLookup(String what, long addr, VmArea got, Vma want) {
    Vma g = Vma.of(got);
    check(
        Objects.equals(g, want),
        () -> what + "(" + Long.toHexString(addr) + ") returned " + g + ", expected " + want);
  }

  /** A VMA's observable fields, compared by value. */
  static final class Vma {
    final long start;
    final long end;
    final long flags;
    final long pgoff;

    Vma(long start, long end, long flags, long pgoff) {
      this.start = start;
      this.end = end;
      this.flags = flags;
      this.pgoff = pgoff;
    }

    static Vma of(VmArea v) {
      return v == null ? null : new Vma(v.start(), v.end(), v.flags(), v.pgoff());
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Vma)) {
        return false;
      }
      Vma v = (Vma) o;
      return start == v.start && end == v.end && flags == v.flags && pgoff == v.pgoff;
    }

    @Override
    public int hashCode() {
      return Objects.hash(start, end, flags, pgoff);
    }

    @Override
    public String toString() {
      return String.format(
          "%08x-%08x %s pgoff=%x", start, end, VmFlags.toString(flags) + flagsExtra(flags), pgoff);
    }
  }

  private static String flagsExtra(long f) {
    StringBuilder sb = new StringBuilder();
    if ((f & VM_IO) != 0) {
      sb.append(" io");
    }
    if ((f & VM_PFNMAP) != 0) {
      sb.append(" pfnmap");
    }
    if ((f & VM_DONTEXPAND) != 0) {
      sb.append(" dontexpand");
    }
    if ((f & VM_MIXEDMAP) != 0) {
      sb.append(" mixedmap");
    }
    if ((f & VM_GROWSDOWN) != 0) {
      sb.append(" growsdown");
    }
    return sb.toString();
  }

  private static String render(List<Vma> list) {
    StringBuilder sb = new StringBuilder();
    for (Vma v : list) {
      sb.append("  ").append(v).append('\n');
    }
    return sb.toString();
  }

  private static String hex(int page) {
    return "0x" + Long.toHexString(page * PAGE);
  }
}
