package io.github.vmalock.mm;

import static io.github.vmalock.mm.VmFlags.VM_DONTEXPAND;
import static io.github.vmalock.mm.VmFlags.VM_GROWSDOWN;
import static io.github.vmalock.mm.VmFlags.VM_IO;
import static io.github.vmalock.mm.VmFlags.VM_MIXEDMAP;
import static io.github.vmalock.mm.VmFlags.VM_PFNMAP;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ports of the kernel's {@code tools/testing/vma/} scenarios (merge, split, expand, shrink, {@code
 * mmap_region}) that the public API can express, each named after the kernel test it ports.
 *
 * <p>The kernel tests drive {@code vma_merge_new_range}, {@code vma_merge_existing_range}, {@code
 * vma_expand} and {@code vma_shrink} directly; here the same layouts are produced through {@code
 * mmap} (a new range: merge with prev/next or expand), {@code mprotect} (an existing range: split,
 * merge left/right/both) and {@code munmap} (shrink). Addresses are the kernel tests' plus {@link
 * #BASE} (page 0 is not mapped), and since the mappings are anonymous, {@code pgoff} is {@code addr
 * >>> 12}. Not portable and so not ported: the sticky-flag permutations, {@code vm_ops->close}
 * ({@code test_vma_merge_with_close}, {@code test_vma_merge_new_with_close}), the {@code anon_vma}
 * cases ({@code test_anon_vma_non_mergeable}, {@code test_dup_anon_vma}), allocation-failure
 * injection ({@code test_vmi_prealloc_fail}) and {@code copy_vma} (mremap).
 *
 * <p>The kernel test's {@code vma_write_started(vma)} is observed from outside, deterministically:
 * the test thread holds a read reference ({@code lockVmaUnderRcu}) on one VMA and runs the
 * operation on another thread. If the operation write-locks that VMA, its {@code vma_start_write}
 * must set {@code VM_REFCNT_EXCLUDE_READERS_FLAG} in {@code vm_refcnt} and wait: the test waits for
 * the flag, checks the operation has not finished, that a second reader is refused, that unrelated
 * VMAs are still readable and that {@code mm_lock_seq} is odd, then releases the reference and lets
 * the operation finish. If the operation must leave the VMA alone, it must finish while the
 * reference is held. Each probed VMA gets its own fresh mm, so the probes do not depend on the
 * order in which an operation locks its VMAs.
 *
 * <p>Invariants cited here: see docs/invariants.md#f12.
 */
class VmaScenarioTest {

  /** Offset added to the kernel tests' addresses. */
  private static final long BASE = 0x100000;

  private static final long RW = VM_READ | VM_WRITE;
  private static final long R = VM_READ;
  private static final int EXCLUDE_READERS_FLAG = 1 << 30;

  private static ExecutorService executor;

  private final List<MmStruct> mms = new ArrayList<>();
  private final Map<MmStruct, LockMode> modes = new IdentityHashMap<>();

  @BeforeAll
  static void startExecutor() {
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "vma-scenario-writer");
              t.setDaemon(true);
              return t;
            });
  }

  @AfterAll
  static void stopExecutor() {
    executor.shutdownNow();
  }

  @AfterEach
  void closeMms() {
    for (MmStruct mm : mms) {
      // After a failure an operation may still be stuck holding the mmap write lock: close()
      // would wait for it forever, so such an mm is left to the garbage collector.
      if (!mm.mmapLock().isWriteLocked()) {
        mm.close();
      }
    }
    mms.clear();
    modes.clear();
  }

  private MmStruct newMm(LockMode mode) {
    MmStruct mm = MmStruct.builder().lockMode(mode).build();
    mms.add(mm);
    modes.put(mm, mode);
    return mm;
  }

  private static long a(long off) {
    return BASE + off;
  }

  private static long pg(long off) {
    return (BASE + off) >>> 12;
  }

  /** A VMA as the kernel tests check it, with addresses relative to {@link #BASE}. */
  record Span(long start, long end, long flags, long pgoff) {
    static Span of(VmArea v) {
      return new Span(v.start() - BASE, v.end() - BASE, v.flags(), v.pgoff());
    }

    @Override
    public String toString() {
      return String.format(
          "[%#x-%#x %s pgoff=%#x]", start, end, VmFlags.toString(flags) + "/" + flags, pgoff);
    }
  }

  private static Span span(long start, long end, long flags) {
    return new Span(start, end, flags, pg(start));
  }

  /** The VMA list, walked with {@code find_vma} under the mmap read lock. */
  private static List<Span> layout(MmStruct mm) {
    List<Span> out = new ArrayList<>();
    mm.mmapReadLock();
    try {
      for (VmArea v = mm.findVma(0); v != null; v = mm.findVma(v.end())) {
        out.add(Span.of(v));
      }
    } finally {
      mm.mmapReadUnlock();
    }
    return out;
  }

  private static VmArea lookup(MmStruct mm, long addr) {
    mm.mmapReadLock();
    try {
      return mm.vmaLookup(addr);
    } finally {
      mm.mmapReadUnlock();
    }
  }

  private void assertLayout(MmStruct mm, Span... expected) {
    assertThat(layout(mm)).containsExactly(expected);
    assertThat(mm.mapCount()).as("map_count").isEqualTo(expected.length);
    assertQuiescentAfterOperation(mm);
  }

  /** After {@code mmap_write_unlock} no VMA is write-locked and every VMA is readable again. */
  private void assertQuiescentAfterOperation(MmStruct mm) {
    assertThat(mm.mmLockSeq() & 1).as("mm_lock_seq even").isZero();
    for (Span s : layout(mm)) {
      VmArea v = lookup(mm, a(s.start()));
      assertThat(v.isWriteLocked()).as("%s still write-locked", v).isFalse();
      if (modes.get(mm) == LockMode.PER_VMA) {
        // MMAP_LOCK_ONLY: attach and detach do nothing, so vm_refcnt is not meaningful there.
        assertThat(v.refcnt()).as("refcnt of %s", v).isEqualTo(1);
        VmArea r = mm.lockVmaUnderRcu(a(s.start()));
        assertThat(r).as("lock_vma_under_rcu(%#x) after the operation", a(s.start())).isSameAs(v);
        r.endRead();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Write-lock probes

  /** The operation, run on the writer thread. */
  @FunctionalInterface
  interface Op {
    void run(MmStruct mm);
  }

  /**
   * Asserts that {@code op}, run on the state {@code setup} builds, write-locks the VMA covering
   * {@code addr}, while the VMAs covering {@code unrelated} stay readable during it.
   */
  private void assertWriteLocks(Consumer<MmStruct> setup, Op op, long addr, long... unrelated)
      throws Exception {
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    VmArea held = mm.lockVmaUnderRcu(addr);
    assertThat(held).as("uncontended lock_vma_under_rcu(%#x)", addr).isNotNull();
    Future<?> writer = executor.submit(() -> op.run(mm));
    try {
      awaitExcludeReaders(held, writer, addr);
      assertThat(mm.mmLockSeq() & 1).as("mm_lock_seq odd while the writer works").isOne();
      assertThat(mm.mmapLock().isWriteLocked()).isTrue();
      VmArea second = mm.lockVmaUnderRcu(addr);
      if (second != null) {
        second.endRead();
        fail("a reader was admitted to %s while a writer excluded readers (F12)", held);
      }
      for (long u : unrelated) {
        VmArea r = mm.lockVmaUnderRcu(u);
        assertThat(r)
            .as("unrelated VMA at %#x readable while the operation waits on %s", u, held)
            .isNotNull();
        r.endRead();
      }
      assertThat(writer.isDone()).as("operation finished while a reader held %s", held).isFalse();
    } finally {
      held.endRead();
    }
    finish(writer);
    assertQuiescentAfterOperation(mm);
  }

  /** Asserts that {@code op} leaves the VMA covering {@code addr} alone (no write lock). */
  private void assertLeavesAlone(Consumer<MmStruct> setup, Op op, long addr) throws Exception {
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    VmArea held = mm.lockVmaUnderRcu(addr);
    assertThat(held).as("uncontended lock_vma_under_rcu(%#x)", addr).isNotNull();
    Span before = Span.of(held);
    Future<?> writer = executor.submit(() -> op.run(mm));
    try {
      writer.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      fail(
          "the operation blocked on %s (refcnt %#x): it write-locked a VMA the kernel leaves"
              + " alone",
          held, held.refcnt());
    } finally {
      held.endRead();
    }
    finish(writer);
    assertThat(Span.of(held)).as("untouched VMA unchanged").isEqualTo(before);
    assertThat(held.isAttached()).isTrue();
    assertThat(held.refcnt()).isEqualTo(1);
    assertQuiescentAfterOperation(mm);
  }

  private static void awaitExcludeReaders(VmArea held, Future<?> writer, long addr)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while ((held.refcnt() & EXCLUDE_READERS_FLAG) == 0) {
      if (writer.isDone()) {
        finish(writer);
        fail(
            "the operation finished while a reader held %s (at %#x): it did not"
                + " vma_start_write() it",
            held, addr);
      }
      if (System.nanoTime() > deadline) {
        fail("the operation neither finished nor excluded readers from %s", held);
      }
      LockSupport.parkNanos(50_000);
    }
  }

  private static void finish(Future<?> writer) throws Exception {
    try {
      writer.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw (Exception) cause;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // tools/testing/vma/tests/merge.c

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_simple_merge: mmap between two compatible VMAs merges all three")
  void testSimpleMerge(LockMode mode) throws Exception {
    Consumer<MmStruct> setup =
        mm -> {
          mm.mmap(a(0), 0x1000, RW);
          mm.mmap(a(0x2000), 0x1000, RW);
        };
    Op op = mm -> mm.mmap(a(0x1000), 0x1000, RW);

    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea left = lookup(mm, a(0));
    VmArea merged = mm.mmap(a(0x1000), 0x1000, RW);
    assertThat(merged).as("prev is expanded in place").isSameAs(left);
    assertLayout(mm, span(0, 0x3000, RW));
    assertThat(merged.pgoff()).isEqualTo(pg(0));

    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, op, a(0)); // prev: expanded
      assertWriteLocks(setup, op, a(0x2000)); // next: removed
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_simple_modify: mprotect of the middle splits into three VMAs")
  void testSimpleModify(LockMode mode) throws Exception {
    Consumer<MmStruct> setup = mm -> mm.mmap(a(0), 0x3000, RW);
    Op op = mm -> mm.mprotect(a(0x1000), 0x1000, R);

    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea init = lookup(mm, a(0));
    op.run(mm);
    assertLayout(mm, span(0, 0x1000, RW), span(0x1000, 0x2000, R), span(0x2000, 0x3000, RW));
    assertThat(lookup(mm, a(0x1000)))
        .as("the provided VMA is modified; the splits allocate new VMAs")
        .isSameAs(init);

    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, op, a(0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_simple_expand: mmap of the following gap expands the VMA (vma_expand)")
  void testSimpleExpand(LockMode mode) throws Exception {
    Consumer<MmStruct> setup = mm -> mm.mmap(a(0), 0x1000, RW);
    Op op = mm -> mm.mmap(a(0x1000), 0x2000, RW);

    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea vma = lookup(mm, a(0));
    assertThat(mm.mmap(a(0x1000), 0x2000, RW)).isSameAs(vma);
    assertLayout(mm, span(0, 0x3000, RW));

    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, op, a(0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_simple_shrink: munmap of the tail shrinks the VMA (vma_shrink)")
  void testSimpleShrink(LockMode mode) throws Exception {
    Consumer<MmStruct> setup = mm -> mm.mmap(a(0), 0x3000, RW);
    Op op = mm -> mm.munmap(a(0x1000), 0x2000);

    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea vma = lookup(mm, a(0));
    op.run(mm);
    assertLayout(mm, span(0, 0x1000, RW));
    // vma_shrink() keeps the object; munmap goes through vms_gather_munmap_vmas(), which splits
    // with new_below = 1: a new VMA keeps the head, and the original, now the tail, is unmapped.
    assertThat(lookup(mm, a(0))).isNotSameAs(vma);
    assertThat(vma.isAttached()).as("the unmapped tail is detached").isFalse();
    assertThat(lookup(mm, a(0x1000))).isNull();

    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, op, a(0));
    }
  }

  /*
   * test_merge_new: AA B       CC  then new ranges merging with none, both, prev, next.
   */
  private static final long[][] MERGE_NEW_STEPS = {
    {0x7000, 0x9000}, // no merge: D
    {0x2000, 0x3000}, // both sides: A absorbs B
    {0x4000, 0x5000}, // prev: A extends
    {0x6000, 0x7000}, // next: D prepended
    {0x5000, 0x6000}, // both sides: A absorbs D
    {0xa000, 0xb000}, // next: C prepended
    {0x9000, 0xa000}, // both sides: A absorbs C
  };

  private static void mergeNewSetup(MmStruct mm, int steps) {
    mm.mmap(a(0), 0x2000, RW);
    mm.mmap(a(0x3000), 0x1000, RW);
    mm.mmap(a(0xb000), 0x1000, RW);
    for (int i = 0; i < steps; i++) {
      long[] s = MERGE_NEW_STEPS[i];
      mm.mmap(a(s[0]), s[1] - s[0], RW);
    }
  }

  private static Op mergeNewStep(int i) {
    long[] s = MERGE_NEW_STEPS[i];
    return mm -> mm.mmap(a(s[0]), s[1] - s[0], RW);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_merge_new: new ranges merge with prev, next, both, or neither")
  void testMergeNew(LockMode mode) throws Exception {
    MmStruct mm = newMm(mode);
    mergeNewSetup(mm, 0);
    VmArea vmaA = lookup(mm, a(0));
    VmArea vmaC = lookup(mm, a(0xb000));
    assertLayout(mm, span(0, 0x2000, RW), span(0x3000, 0x4000, RW), span(0xb000, 0xc000, RW));

    // NO merge.  AA B   **  CC
    VmArea vmaD = mm.mmap(a(0x7000), 0x2000, RW);
    assertThat(vmaD).isNotSameAs(vmaA).isNotSameAs(vmaC);
    assertThat(mm.mapCount()).isEqualTo(4);

    // Merge BOTH sides.  AA*B   DD  CC
    assertThat(mm.mmap(a(0x2000), 0x1000, RW)).isSameAs(vmaA);
    assertLayout(mm, span(0, 0x4000, RW), span(0x7000, 0x9000, RW), span(0xb000, 0xc000, RW));

    // Merge to PREVIOUS VMA.  AAAA*  DD  CC
    assertThat(mm.mmap(a(0x4000), 0x1000, RW)).isSameAs(vmaA);
    assertLayout(mm, span(0, 0x5000, RW), span(0x7000, 0x9000, RW), span(0xb000, 0xc000, RW));

    // Merge to NEXT VMA.  AAAAA *DD  CC
    assertThat(mm.mmap(a(0x6000), 0x1000, RW)).isSameAs(vmaD);
    assertLayout(mm, span(0, 0x5000, RW), span(0x6000, 0x9000, RW), span(0xb000, 0xc000, RW));

    // Merge BOTH sides.  AAAAA*DDD  CC
    assertThat(mm.mmap(a(0x5000), 0x1000, RW)).isSameAs(vmaA);
    assertLayout(mm, span(0, 0x9000, RW), span(0xb000, 0xc000, RW));

    // Merge to NEXT VMA.  AAAAAAAAA *CC
    assertThat(mm.mmap(a(0xa000), 0x1000, RW)).isSameAs(vmaC);
    assertLayout(mm, span(0, 0x9000, RW), span(0xa000, 0xc000, RW));

    // Merge BOTH sides.  AAAAAAAAA*CCC
    assertThat(mm.mmap(a(0x9000), 0x1000, RW)).isSameAs(vmaA);
    assertLayout(mm, span(0, 0xc000, RW));

    if (mode == LockMode.PER_VMA) {
      // Merge BOTH sides (step 1): A expanded, B removed; D and C untouched.
      assertWriteLocks(s -> mergeNewSetup(s, 1), mergeNewStep(1), a(0), a(0x7000), a(0xb000));
      assertWriteLocks(s -> mergeNewSetup(s, 1), mergeNewStep(1), a(0x3000), a(0xb000));
      assertLeavesAlone(s -> mergeNewSetup(s, 1), mergeNewStep(1), a(0x7000));
      assertLeavesAlone(s -> mergeNewSetup(s, 1), mergeNewStep(1), a(0xb000));
      // Merge to NEXT (step 3): D expanded downwards; A untouched.
      assertWriteLocks(s -> mergeNewSetup(s, 3), mergeNewStep(3), a(0x7000), a(0), a(0xb000));
      assertLeavesAlone(s -> mergeNewSetup(s, 3), mergeNewStep(3), a(0));
      // No merge (step 0): nothing existing is locked.
      assertLeavesAlone(s -> mergeNewSetup(s, 0), mergeNewStep(0), a(0));
      assertLeavesAlone(s -> mergeNewSetup(s, 0), mergeNewStep(0), a(0x3000));
      assertLeavesAlone(s -> mergeNewSetup(s, 0), mergeNewStep(0), a(0xb000));
    }
  }

  private static final long[] SPECIAL_FLAGS = {VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP};

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_vma_merge_special_flags: VM_SPECIAL VMAs never merge (new or modified)")
  void testVmaMergeSpecialFlags(LockMode mode) throws Exception {
    for (long special : SPECIAL_FLAGS) {
      // 1. A new VMA with a special flag that would otherwise merge.  AAA*
      MmStruct mm = newMm(mode);
      VmArea left = mm.mmap(a(0), 0x3000, RW | special);
      VmArea vma = mm.mmap(a(0x3000), 0x1000, RW | special);
      assertThat(vma).as("flag %#x", special).isNotSameAs(left);
      assertLayout(mm, span(0, 0x3000, RW | special), span(0x3000, 0x4000, RW | special));

      // 2. Modify a VMA with a special flag so that it would otherwise merge.  AAAB
      MmStruct mm2 = newMm(mode);
      mm2.mmap(a(0), 0x3000, RW | special);
      mm2.mmap(a(0x3000), 0x1000, R | special);
      mm2.mprotect(a(0x3000), 0x1000, RW);
      assertLayout(mm2, span(0, 0x3000, RW | special), span(0x3000, 0x4000, RW | special));

      if (mode == LockMode.PER_VMA) {
        assertLeavesAlone(
            m -> m.mmap(a(0), 0x3000, RW | special),
            m -> m.mmap(a(0x3000), 0x1000, RW | special),
            a(0));
        assertLeavesAlone(
            m -> {
              m.mmap(a(0), 0x3000, RW | special);
              m.mmap(a(0x3000), 0x1000, R | special);
            },
            m -> m.mprotect(a(0x3000), 0x1000, RW),
            a(0));
      }
    }
  }

  /** Runs one {@code test_merge_existing} case: layout before, mprotect, layout after. */
  private void mergeExistingCase(
      LockMode mode,
      Consumer<MmStruct> setup,
      Op op,
      long[] lockedAddrs,
      long[] untouchedAddrs,
      Span... after)
      throws Exception {
    MmStruct mm = newMm(mode);
    setup.accept(mm);
    op.run(mm);
    assertLayout(mm, after);
    if (mode == LockMode.PER_VMA) {
      for (long addr : lockedAddrs) {
        assertWriteLocks(setup, op, addr, untouchedAddrs);
      }
      for (long addr : untouchedAddrs) {
        assertLeavesAlone(setup, op, addr);
      }
    }
  }

  private static long[] addrs(long... offs) {
    long[] out = new long[offs.length];
    for (int i = 0; i < offs.length; i++) {
      out[i] = a(offs[i]);
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_merge_existing: mprotect merges the modified range left, right or both")
  void testMergeExisting(LockMode mode) throws Exception {
    // Merge right case - partial span.   VVVVNNN -> VNNNNNN
    Consumer<MmStruct> vn =
        mm -> {
          mm.mmap(a(0x2000), 0x4000, R);
          mm.mmap(a(0x6000), 0x3000, RW);
        };
    MmStruct mm = newMm(mode);
    vn.accept(mm);
    VmArea vma = lookup(mm, a(0x2000));
    VmArea next = lookup(mm, a(0x6000));
    mm.mprotect(a(0x3000), 0x3000, RW);
    assertLayout(mm, span(0x2000, 0x3000, R), span(0x3000, 0x9000, RW));
    assertThat(lookup(mm, a(0x3000))).as("next absorbs the range").isSameAs(next);
    assertThat(lookup(mm, a(0x2000))).as("vma shrinks").isSameAs(vma);
    mergeExistingCase(
        mode,
        vn,
        m -> m.mprotect(a(0x3000), 0x3000, RW),
        addrs(0x2000, 0x6000),
        addrs(),
        span(0x2000, 0x3000, R),
        span(0x3000, 0x9000, RW));

    // Merge right case - full span.   VVVVNNN -> NNNNNNN
    mm = newMm(mode);
    vn.accept(mm);
    next = lookup(mm, a(0x6000));
    mm.mprotect(a(0x2000), 0x4000, RW);
    assertLayout(mm, span(0x2000, 0x9000, RW));
    assertThat(lookup(mm, a(0x2000))).isSameAs(next);
    mergeExistingCase(
        mode,
        vn,
        m -> m.mprotect(a(0x2000), 0x4000, RW),
        addrs(0x2000, 0x6000),
        addrs(),
        span(0x2000, 0x9000, RW));

    // Merge left case - partial span.   PPPVVVV -> PPPPPPV
    Consumer<MmStruct> pv =
        m -> {
          m.mmap(a(0), 0x3000, RW);
          m.mmap(a(0x3000), 0x4000, R);
        };
    mm = newMm(mode);
    pv.accept(mm);
    VmArea prev = lookup(mm, a(0));
    vma = lookup(mm, a(0x3000));
    mm.mprotect(a(0x3000), 0x3000, RW);
    assertLayout(mm, span(0, 0x6000, RW), span(0x6000, 0x7000, R));
    assertThat(lookup(mm, a(0x3000))).as("prev absorbs the range").isSameAs(prev);
    assertThat(lookup(mm, a(0x6000))).as("vma keeps the rest").isSameAs(vma);
    mergeExistingCase(
        mode,
        pv,
        m -> m.mprotect(a(0x3000), 0x3000, RW),
        addrs(0, 0x3000),
        addrs(),
        span(0, 0x6000, RW),
        span(0x6000, 0x7000, R));

    // Merge left case - full span.   PPPVVVV -> PPPPPPP
    mm = newMm(mode);
    pv.accept(mm);
    prev = lookup(mm, a(0));
    mm.mprotect(a(0x3000), 0x4000, RW);
    assertLayout(mm, span(0, 0x7000, RW));
    assertThat(lookup(mm, a(0x6000))).isSameAs(prev);
    mergeExistingCase(
        mode,
        pv,
        m -> m.mprotect(a(0x3000), 0x4000, RW),
        addrs(0, 0x3000),
        addrs(),
        span(0, 0x7000, RW));

    // Merge both case.   PPPVVVVNNN -> PPPPPPPPPP
    Consumer<MmStruct> pvn =
        m -> {
          m.mmap(a(0), 0x3000, RW);
          m.mmap(a(0x3000), 0x4000, R);
          m.mmap(a(0x7000), 0x2000, RW);
        };
    mm = newMm(mode);
    pvn.accept(mm);
    prev = lookup(mm, a(0));
    mm.mprotect(a(0x3000), 0x4000, RW);
    assertLayout(mm, span(0, 0x9000, RW));
    assertThat(lookup(mm, a(0x8000))).isSameAs(prev);
    mergeExistingCase(
        mode,
        pvn,
        m -> m.mprotect(a(0x3000), 0x4000, RW),
        addrs(0, 0x3000, 0x7000),
        addrs(),
        span(0, 0x9000, RW));

    // Non-merge ranges: the range touches neither prev nor next.   PPPVVVVVNNN
    Consumer<MmStruct> pvnWide =
        m -> {
          m.mmap(a(0), 0x3000, RW);
          m.mmap(a(0x3000), 0x5000, R);
          m.mmap(a(0x8000), 0x2000, RW);
        };
    long[][] ranges = {
      {0x4000, 0x5000}, {0x5000, 0x6000}, {0x6000, 0x7000}, {0x4000, 0x7000}, {0x4000, 0x6000},
    };
    for (long[] r : ranges) {
      mergeExistingCase(
          mode,
          pvnWide,
          m -> m.mprotect(a(r[0]), r[1] - r[0], RW),
          addrs(0x3000),
          addrs(0, 0x8000),
          span(0, 0x3000, RW),
          span(0x3000, r[0], R),
          span(r[0], r[1], RW),
          span(r[1], 0x8000, R),
          span(0x8000, 0xa000, RW));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_merge_extend: extending into the gap up to the next VMA merges them")
  void testMergeExtend(LockMode mode) throws Exception {
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x1000, RW);
          m.mmap(a(0x3000), 0x1000, RW);
        };
    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea vma = lookup(mm, a(0));
    assertThat(mm.mmap(a(0x1000), 0x2000, RW)).isSameAs(vma);
    assertLayout(mm, span(0, 0x4000, RW));
    assertThat(mm.mapCount()).isOne();
    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, m -> m.mmap(a(0x1000), 0x2000, RW), a(0));
      assertWriteLocks(setup, m -> m.mmap(a(0x1000), 0x2000, RW), a(0x3000));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_expand_only_mode: expanding prev leaves the VMA before it untouched")
  void testExpandOnlyMode(LockMode mode) throws Exception {
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x2000, RW);
          m.mmap(a(0x3000), 0x2000, RW);
        };
    Op op = m -> m.mmap(a(0x5000), 0x4000, RW);
    MmStruct mm = newMm(mode);
    setup.accept(mm);
    VmArea first = lookup(mm, a(0));
    VmArea prev = lookup(mm, a(0x3000));
    assertThat(mm.mmap(a(0x5000), 0x4000, RW)).isSameAs(prev);
    assertLayout(mm, span(0, 0x2000, RW), span(0x3000, 0x9000, RW));
    assertThat(lookup(mm, a(0))).isSameAs(first);
    if (mode == LockMode.PER_VMA) {
      assertWriteLocks(setup, op, a(0x3000), a(0));
      assertLeavesAlone(setup, op, a(0));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // tools/testing/vma/tests/mmap.c

  @ParameterizedTest(name = "{0}")
  @EnumSource(LockMode.class)
  @DisplayName("test_mmap_region_basic: __mmap_region maps and merges with prev and next")
  void testMmapRegionBasic(LockMode mode) throws Exception {
    MmStruct mm = newMm(mode);
    assertThat(mm.mmap(0x300000, 0x3000, RW).start()).isEqualTo(0x300000);
    assertThat(mm.mmap(0x250000, 0x3000, RW).start()).isEqualTo(0x250000);
    VmArea merged = mm.mmap(0x303000, 0x3000, RW);
    assertThat(merged.start()).isEqualTo(0x300000);
    merged = mm.mmap(0x24d000, 0x3000, RW);
    assertThat(merged.start()).isEqualTo(0x24d000);
    assertThat(mm.mapCount()).isEqualTo(2);
    List<Span> got = layout(mm);
    assertThat(got)
        .containsExactly(
            new Span(0x24d000 - BASE, 0x253000 - BASE, RW, 0x24d),
            new Span(0x300000 - BASE, 0x306000 - BASE, RW, 0x300));
    assertQuiescentAfterOperation(mm);

    if (mode == LockMode.PER_VMA) {
      Consumer<MmStruct> setup =
          m -> {
            m.mmap(0x300000, 0x3000, RW);
            m.mmap(0x250000, 0x3000, RW);
          };
      Op op = m -> m.mmap(0x303000, 0x3000, RW);
      assertWriteLocks(setup, op, 0x300000, 0x250000);
      assertLeavesAlone(setup, op, 0x250000);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Write-locking rules of the operations themselves (mm/vma.c, mm/mprotect.c)

  @Test
  @DisplayName(
      "vms_gather_munmap_vmas: munmap write-locks every VMA in the range, not its neighbours")
  void munmapWriteLocksEveryVmaInRange() throws Exception {
    // A B C D E with alternating flags; munmap from inside B to inside D.
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x2000, RW);
          m.mmap(a(0x2000), 0x2000, R);
          m.mmap(a(0x4000), 0x2000, RW);
          m.mmap(a(0x6000), 0x2000, R);
          m.mmap(a(0x8000), 0x2000, RW);
        };
    Op op = m -> m.munmap(a(0x3000), 0x4000);
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    VmArea c = lookup(mm, a(0x4000));
    op.run(mm);
    assertLayout(
        mm,
        span(0, 0x2000, RW),
        span(0x2000, 0x3000, R),
        span(0x7000, 0x8000, R),
        span(0x8000, 0xa000, RW));
    assertThat(c.isAttached() && c.start() == a(0x4000))
        .as("the unmapped VMA is detached (or recycled for another range)")
        .isFalse();
    for (long addr : addrs(0x2000, 0x4000, 0x6000)) {
      assertWriteLocks(setup, op, addr, a(0), a(0x8000));
    }
    assertLeavesAlone(setup, op, a(0));
    assertLeavesAlone(setup, op, a(0x8000));
  }

  @Test
  @DisplayName("__mmap_region MAP_FIXED: overlapped VMAs are write-locked, neighbours are not")
  void mapFixedOverExistingWriteLocksOverlapped() throws Exception {
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x2000, R);
          m.mmap(a(0x2000), 0x2000, RW);
          m.mmap(a(0x4000), 0x2000, R);
        };
    Op op = m -> m.mmap(a(0x2000), 0x2000, VM_READ | VM_WRITE | VmFlags.VM_EXEC);
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    op.run(mm);
    assertLayout(
        mm,
        span(0, 0x2000, R),
        span(0x2000, 0x4000, VM_READ | VM_WRITE | VmFlags.VM_EXEC),
        span(0x4000, 0x6000, R));
    assertWriteLocks(setup, op, a(0x2000), a(0), a(0x4000));
    assertLeavesAlone(setup, op, a(0));
    assertLeavesAlone(setup, op, a(0x4000));
  }

  @Test
  @DisplayName("__mmap_region MAP_FIXED over the middle of a VMA with its own flags re-merges")
  void mapFixedOverMiddleWithSameFlagsRemerges() {
    MmStruct mm = newMm(LockMode.PER_VMA);
    mm.mmap(a(0), 0x5000, RW);
    mm.mmap(a(0x1000), 0x2000, RW);
    assertLayout(mm, span(0, 0x5000, RW));
  }

  @Test
  @DisplayName("mprotect_fixup: unchanged flags (newflags == oldflags) leave the VMA alone")
  void mprotectToSameFlagsDoesNotWriteLock() throws Exception {
    Consumer<MmStruct> setup = m -> m.mmap(a(0), 0x4000, RW);
    Op op = m -> m.mprotect(a(0x1000), 0x2000, RW);
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    op.run(mm);
    assertLayout(mm, span(0, 0x4000, RW));
    assertLeavesAlone(setup, op, a(0));
  }

  @Test
  @DisplayName("do_vmi_munmap: unmapping a hole changes nothing and write-locks nothing")
  void munmapOfHoleWriteLocksNothing() throws Exception {
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x1000, RW);
          m.mmap(a(0x3000), 0x1000, RW);
        };
    Op op = m -> m.munmap(a(0x1000), 0x2000);
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    op.run(mm);
    assertLayout(mm, span(0, 0x1000, RW), span(0x3000, 0x4000, RW));
    assertLeavesAlone(setup, op, a(0));
    assertLeavesAlone(setup, op, a(0x3000));
  }

  @Test
  @DisplayName(
      "mprotect_fixup: a VMA inside the range whose flags do not change is skipped, not locked")
  void mprotectSkipsUnchangedVmaInsideRange() throws Exception {
    // A is VM_IO (never merges) and already read-only; B loses VM_WRITE.
    Consumer<MmStruct> setup =
        m -> {
          m.mmap(a(0), 0x2000, R | VM_IO);
          m.mmap(a(0x2000), 0x2000, RW);
        };
    Op op = m -> m.mprotect(a(0), 0x4000, R);
    MmStruct mm = newMm(LockMode.PER_VMA);
    setup.accept(mm);
    op.run(mm);
    assertLayout(mm, span(0, 0x2000, R | VM_IO), span(0x2000, 0x4000, R));
    assertLeavesAlone(setup, op, a(0));
    assertWriteLocks(setup, op, a(0x2000), a(0));
  }

  @Test
  @DisplayName(
      "unmapped_area_topdown: mmap(NULL) keeps stack_guard_gap below a VM_GROWSDOWN VMA"
          + " (vm_start_gap)")
  void topDownPlacementKeepsStackGuardGap() {
    MmStruct mm = newMm(LockMode.PER_VMA);
    long top = mm.taskSize();
    VmArea stack = mm.mmap(top - 16 * 0x1000, 16 * 0x1000, RW | VM_GROWSDOWN);
    VmArea v = mm.mmap(0x1000, RW);
    assertThat(v.start())
        .as("highest address whose end leaves the guard gap below %s", stack)
        .isEqualTo(stack.start() - MmStruct.STACK_GUARD_GAP - 0x1000);

    // Without VM_GROWSDOWN no gap is kept: the new VMA ends where the old one starts.
    MmStruct plain = newMm(LockMode.PER_VMA);
    VmArea high = plain.mmap(top - 16 * 0x1000, 16 * 0x1000, RW);
    assertThat(plain.mmap(0x1000, R).end()).isEqualTo(high.start());
  }
}
