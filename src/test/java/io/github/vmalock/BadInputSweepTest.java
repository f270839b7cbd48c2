package io.github.vmalock;

import static io.github.vmalock.mm.VmFlags.VM_EXEC;
import static io.github.vmalock.mm.VmFlags.VM_IO;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.vmalock.maple.MaState;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.Errno;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.Mman;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmaLockStats;
import io.github.vmalock.mm.VmaReadGuard;
import io.github.vmalock.rcu.Rcu;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The bad-input sweep: every public method of {@link MapleTree}, {@link Rcu}, {@code MmStruct} and
 * {@code VmArea} called with each class of invalid input that applies to it (bad ranges, unaligned,
 * out of range, wrong lock state, unbalanced unlocks, overflow, use after close). Each case checks
 * the documented exception type ({@code IllegalArgumentException} for a bad argument, {@code
 * IllegalStateException} for a wrong state, "ENOMEM" in the message when out of space), a message
 * naming the problem or the value, and the model unchanged afterwards.
 */
class BadInputSweepTest {

  /** Asserts the type and that the message contains one of {@code names}, case-insensitive. */
  static Throwable assertRejected(
      Class<? extends Throwable> type, ThrowingCallable call, String... names) {
    Throwable t = catchThrowable(call);
    assertThat(t).as("expected %s", type.getSimpleName()).isInstanceOf(type);
    assertThat(t.getMessage()).as("message of %s", t).isNotBlank();
    String msg = t.getMessage().toLowerCase(Locale.ROOT);
    if (names.length > 0) {
      boolean named = false;
      for (String n : names) {
        named |= msg.contains(n.toLowerCase(Locale.ROOT));
      }
      assertThat(named)
          .as("message \"%s\" names one of %s", t.getMessage(), List.of(names))
          .isTrue();
    }
    return t;
  }

  static String hex(long v) {
    return Long.toHexString(v);
  }

  // ---------------------------------------------------------------------------------------------

  @Nested
  @DisplayName("MapleTree")
  class MapleTreeInput {

    private final MapleTree<String> tree = new MapleTree<>();

    @BeforeEach
    void fill() {
      tree.storeRange(0, 0, "zero");
      tree.storeRange(10, 19, "a");
      tree.storeRange(40, 49, "b");
      tree.storeRange(-16L, -1L, "top");
    }

    /** Everything a caller can observe of the tree, as one string. */
    private String observe() {
      tree.validate();
      StringBuilder sb = new StringBuilder().append(tree.size()).append(':');
      MaState<String> mas = tree.state(0);
      for (String e = mas.find(-1L); e != null; e = mas.find(-1L)) {
        sb.append('[').append(hex(mas.index())).append(',').append(hex(mas.last())).append(']');
        sb.append(e).append(' ');
      }
      return sb.toString();
    }

    private void unchangedAfter(Class<? extends Throwable> type, ThrowingCallable c, String... n) {
      String before = observe();
      assertRejected(type, c, n);
      assertThat(observe()).as("tree unchanged").isEqualTo(before);
    }

    @Test
    @DisplayName("mtree_store_range: first > last (unsigned), values named")
    void storeRangeBadRange() {
      unchangedAfter(IllegalArgumentException.class, () -> tree.storeRange(20, 19, "x"), "0x14");
      unchangedAfter(IllegalArgumentException.class, () -> tree.storeRange(-1L, 0, "x"), "ffff");
      unchangedAfter(IllegalArgumentException.class, () -> tree.storeRange(-1L, 5, null), "0x5");
    }

    @Test
    @DisplayName("mtree_insert_range: first > last, null entry, occupied (-EEXIST)")
    void insertRangeBadInput() {
      unchangedAfter(IllegalArgumentException.class, () -> tree.insertRange(30, 29, "x"), "0x1e");
      unchangedAfter(IllegalArgumentException.class, () -> tree.insertRange(30, 31, null), "null");
      unchangedAfter(IllegalStateException.class, () -> tree.insertRange(15, 15, "x"), "0xf");
      unchangedAfter(IllegalStateException.class, () -> tree.insertRange(5, 40, "x"), "0x5");
      unchangedAfter(IllegalStateException.class, () -> tree.insertRange(0, -1L, "x"), "0x0");
      unchangedAfter(IllegalStateException.class, () -> tree.insertRange(-2L, -2L, "x"), "fffe");
    }

    @Test
    @DisplayName("mas_empty_area / mas_empty_area_rev: size 0, min > max, window too small, busy")
    void emptyAreaBadInput() {
      for (boolean rev : new boolean[] {false, true}) {
        unchangedAfter(IllegalArgumentException.class, () -> area(rev, 0, 100, 0), "size is 0");
        unchangedAfter(IllegalArgumentException.class, () -> area(rev, 100, 99, 1), "min > max");
        unchangedAfter(
            IllegalArgumentException.class, () -> area(rev, 20, 29, 11), "smaller than size 11");
        unchangedAfter(
            IllegalArgumentException.class, () -> area(rev, -1L, -1L, 2), "smaller than size 2");
        // Valid windows with no room: -EBUSY as IllegalStateException.
        unchangedAfter(IllegalStateException.class, () -> area(rev, 10, 19, 1), "busy");
        unchangedAfter(IllegalStateException.class, () -> area(rev, 1, 49, 21), "busy");
        unchangedAfter(IllegalStateException.class, () -> area(rev, -16L, -1L, 1), "busy");
      }
    }

    private long area(boolean rev, long min, long max, long size) {
      return rev ? tree.emptyAreaRev(min, max, size) : tree.emptyArea(min, max, size);
    }

    @Test
    @DisplayName("mt_set_external_lock: writes without the external lock, null lock supplier")
    void externalLockNotHeld() {
      AtomicBoolean held = new AtomicBoolean(true);
      MapleTree<String> ext = new MapleTree<>(held::get);
      ext.storeRange(10, 19, "a");
      held.set(false);
      for (ThrowingCallable write :
          List.<ThrowingCallable>of(
              () -> ext.storeRange(30, 39, "b"),
              () -> ext.storeRange(10, 19, null),
              () -> ext.insertRange(30, 39, "b"),
              () -> ext.erase(15))) {
        assertRejected(IllegalStateException.class, write, "external lock");
        assertThat(ext.load(15)).isEqualTo("a");
        assertThat(ext.load(35)).isNull();
        assertThat(ext.size()).isEqualTo(1);
        ext.validate();
      }
      assertRejected(IllegalArgumentException.class, () -> new MapleTree<String>(null), "null");
    }

    @Test
    @DisplayName("mtree_erase / mtree_load / mas_* at the edges: a miss is null, not an exception")
    void edgesAreNotErrors() {
      String before = observe();
      assertThat(tree.erase(5)).isNull();
      assertThat(tree.load(-17L)).isNull();
      MaState<String> mas = tree.state(-1L);
      assertThat(mas.walk()).isEqualTo("top");
      assertThat(mas.next(-1L)).isNull();
      assertThat(mas.next(-1L)).isNull();
      MaState<String> low = tree.state(0);
      assertThat(low.walk()).isEqualTo("zero");
      assertThat(low.prev(0)).isNull();
      assertThat(low.prev(0)).isNull();
      assertThat(tree.state(50).find(39)).isNull();
      assertThat(tree.state(5).findRev(20)).isNull();
      assertThat(observe()).isEqualTo(before);
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Nested
  @DisplayName("Rcu")
  class RcuInput {

    private Rcu rcu;

    @BeforeEach
    void domain() {
      rcu = Rcu.builder().reclaimerThread(false).build();
    }

    @AfterEach
    void close() {
      while (rcu.isReadLocked()) {
        rcu.readUnlock();
      }
      rcu.close();
    }

    /** The domain still works: sections nest, grace periods end, callbacks run. */
    private void stillWorks() {
      assertThat(rcu.isReadLocked()).isFalse();
      rcu.readLock();
      rcu.readLock();
      rcu.readUnlock();
      assertThat(rcu.isReadLocked()).isTrue();
      rcu.readUnlock();
      assertThat(rcu.isReadLocked()).isFalse();
      long cookie = rcu.pollState();
      rcu.synchronize();
      assertThat(rcu.pollStateSynchronized(cookie)).isTrue();
    }

    @Test
    @DisplayName("rcu_read_unlock without rcu_read_lock, and one too many")
    void unbalancedUnlock() {
      assertRejected(IllegalStateException.class, rcu::readUnlock, "without a matching readLock");
      rcu.readLock();
      rcu.readUnlock();
      assertRejected(IllegalStateException.class, rcu::readUnlock, "without a matching readLock");
      stillWorks();
    }

    @Test
    @DisplayName("reader handle: unbalanced unlock, use from another thread")
    void readerHandle() throws InterruptedException {
      Rcu.Reader r = rcu.reader();
      assertRejected(IllegalStateException.class, r::unlock, "without a matching readLock");
      r.lock();
      AtomicReference<Throwable> fromOther = new AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                fromOther.set(catchThrowable(r::unlock));
                if (fromOther.get() == null) {
                  fromOther.set(catchThrowable(r::lock));
                }
              },
              "intruder");
      t.start();
      t.join();
      assertThat(fromOther.get())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("intruder")
          .hasMessageContaining("thread-confined");
      assertThat(r.isLocked()).as("the owner's section survived").isTrue();
      r.unlock();
      stillWorks();
    }

    @Test
    @DisplayName("synchronize_rcu / rcu_barrier / close inside a read section (self-deadlock)")
    void waitInsideSection() {
      rcu.readLock();
      assertRejected(IllegalStateException.class, rcu::synchronize, "read-side critical section");
      assertRejected(IllegalStateException.class, rcu::barrier, "read-side critical section");
      assertRejected(IllegalStateException.class, rcu::close, "read-side critical section");
      assertThat(rcu.isReadLocked()).isTrue();
      rcu.readUnlock();
      stillWorks();
    }

    @Test
    @DisplayName("poll_state_synchronize_rcu: a cookie pollState() never returned")
    void badCookie() {
      long good = rcu.pollState();
      for (long bad : new long[] {0, 1, -1, good + 5, Long.MAX_VALUE}) {
        assertRejected(
            IllegalArgumentException.class, () -> rcu.pollStateSynchronized(bad), "" + bad);
      }
      stillWorks();
    }

    @Test
    @DisplayName("call_rcu: null callback, and after close")
    void callRcuBadInput() {
      List<String> ran = new ArrayList<>();
      rcu.callRcu(() -> ran.add("first"));
      assertRejected(NullPointerException.class, () -> rcu.callRcu(null), "null");
      rcu.barrier();
      assertThat(ran).containsExactly("first");
      Rcu closed = Rcu.builder().reclaimerThread(false).build();
      closed.close();
      assertRejected(IllegalStateException.class, () -> closed.callRcu(() -> {}), "closed");
      closed.close(); // idempotent
      stillWorks();
    }

    @Test
    @DisplayName("Rcu.global(): close refused")
    void globalCannotClose() {
      assertRejected(UnsupportedOperationException.class, () -> Rcu.global().close(), "global");
      Rcu.global().readLock();
      Rcu.global().readUnlock();
    }

    @Test
    @DisplayName("Rcu.builder: null variant, listener, handler; non-positive stall timeout")
    void builderBadInput() {
      assertRejected(
          IllegalArgumentException.class, () -> Rcu.builder().protocol(null), "protocol");
      assertRejected(
          IllegalArgumentException.class, () -> Rcu.builder().stallListener(null), "stallListener");
      assertRejected(
          IllegalArgumentException.class,
          () -> Rcu.builder().callbackErrorHandler(null),
          "callbackErrorHandler");
      for (Duration d : new Duration[] {null, Duration.ZERO, Duration.ofMillis(-1)}) {
        assertRejected(
            IllegalArgumentException.class, () -> Rcu.builder().stallTimeout(d), "stallTimeout");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The mm part of the sweep (first written as the mm tests' MmBadInputTest): the public methods of
   * {@link MmStruct} and {@link VmArea}: every class of invalid input (unaligned, non-positive
   * length, past {@code taskSize()}, wrap-around, undefined flag bits, wrong lock state, unbalanced
   * unlocks, refcount overflow, use after close) must throw the documented exception ({@code
   * IllegalArgumentException} for bad arguments, {@code IllegalStateException} for a wrong lock
   * state, {@code IllegalStateException} with "ENOMEM" when out of space or map count), with a
   * message naming the problem, and leave the model exactly as it was: {@code dumpMaps()}, {@code
   * mapCount()}, every VMA's {@code refcnt()} and attach state, the mmap lock's hold counts, and
   * (where no lock was taken) {@code mm_lock_seq}.
   */
  @Nested
  @DisplayName("MmStruct and VmArea")
  class MmInput {

    private static final long PAGE = 4096;
    private static final long RW = VM_READ | VM_WRITE;
    private static final long TASK_SIZE = 1L << 30;

    /** The layout every case starts from: a plain VMA, a read-only one, a VM_IO one. */
    private static final long A = 0x100000;

    private static final long B = 0x105000;
    private static final long C = 0x108000;

    private MmStruct mm;
    private final List<VmArea> vmas = new ArrayList<>();
    private ExecutorService other;

    @BeforeEach
    void setUp() {
      mm = build(MmStruct.builder().taskSize(TASK_SIZE));
      other = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void tearDown() {
      other.shutdownNow();
      // close() write-locks every VMA: after a failure that leaked a read reference it would wait
      // forever, so only a quiescent mm is closed (a leak is the failure already reported).
      boolean leaked = false;
      for (VmArea v : vmas) {
        leaked |= v.refcnt() > 1;
      }
      if (mm != null && !leaked && !mm.isClosed()) {
        try {
          mm.close();
        } catch (IllegalStateException lockStillHeld) {
          // the failed case left the mmap lock held by this thread; nothing more to clean up
        }
      }
    }

    private MmStruct build(MmStruct.Builder builder) {
      MmStruct m = builder.build();
      m.mmap(A, 3 * PAGE, RW);
      m.mmap(B, PAGE, VM_READ);
      m.mmap(C, 2 * PAGE, RW | VM_IO);
      vmas.clear();
      m.mmapReadLock();
      try {
        for (VmArea v = m.findVma(0); v != null; v = m.findVma(v.end())) {
          vmas.add(v);
        }
      } finally {
        m.mmapReadUnlock();
      }
      assertThat(vmas).hasSize(3);
      return m;
    }

    /** The observable state the rule says must survive a rejected call. */
    record Snapshot(
        String maps,
        int mapCount,
        List<Integer> refcnts,
        List<Boolean> attached,
        int readLocks,
        boolean writeLocked) {}

    private Snapshot snapshot() {
      List<Integer> refcnts = new ArrayList<>();
      List<Boolean> attached = new ArrayList<>();
      for (VmArea v : vmas) {
        refcnts.add(v.refcnt());
        attached.add(v.isAttached());
      }
      return new Snapshot(
          mm.dumpMaps(),
          mm.mapCount(),
          refcnts,
          attached,
          mm.mmapLock().getReadLockCount(),
          mm.mmapLock().isWriteLocked());
    }

    /** How the calling thread holds the mmap lock around the bad call. */
    enum Held {
      NOTHING,
      READ,
      WRITE
    }

    private void take(Held held) {
      switch (held) {
        case READ -> mm.mmapReadLock();
        case WRITE -> mm.mmapWriteLock();
        case NOTHING -> {}
      }
    }

    private void release(Held held) {
      switch (held) {
        case READ -> mm.mmapReadUnlock();
        case WRITE -> mm.mmapWriteUnlock();
        case NOTHING -> {}
      }
    }

    /**
     * Runs {@code call} with {@code held} taken, expects {@code type} with a message containing one
     * of {@code names} (case-insensitive), and checks that the lock is still held as it was and
     * that, once released, the model is unchanged. With {@code seqUnchanged}, {@code mm_lock_seq}
     * must be exactly as the test's own locking leaves it (the call took no write lock).
     */
    private Throwable rejects(
        Held held,
        Class<? extends RuntimeException> type,
        boolean seqUnchanged,
        ThrowingCallable call,
        String... names) {
      Snapshot before = snapshot();
      int seq = mm.mmLockSeq();
      take(held);
      Throwable t = catchThrowable(call);
      try {
        assertThat(t).as("expected %s", type.getSimpleName()).isInstanceOf(type);
        assertNames(t, names);
        switch (held) {
          case READ -> assertThat(mm.mmapLock().getReadHoldCount()).as("read hold kept").isOne();
          case WRITE ->
              assertThat(mm.mmapLock().isWriteLockedByCurrentThread())
                  .as("write lock kept")
                  .isTrue();
          case NOTHING -> {
            assertThat(mm.mmapLock().getReadHoldCount()).as("no read hold leaked").isZero();
            assertThat(mm.mmapLock().isWriteLockedByCurrentThread())
                .as("no write lock leaked")
                .isFalse();
          }
        }
      } finally {
        release(held);
      }
      assertThat(snapshot()).as("model unchanged after %s", t).isEqualTo(before);
      if (seqUnchanged) {
        int expected = held == Held.WRITE ? seq + 2 : seq;
        assertThat(mm.mmLockSeq()).as("mm_lock_seq: no write period was begun").isEqualTo(expected);
      }
      return t;
    }

    private Throwable rejects(
        Class<? extends RuntimeException> type, ThrowingCallable call, String... names) {
      return rejects(Held.NOTHING, type, false, call, names);
    }

    private static void assertNames(Throwable t, String... names) {
      String msg = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      assertThat(t.getMessage()).as("message of %s", t).isNotBlank();
      if (names.length == 0) {
        return;
      }
      for (String n : names) {
        if (msg.contains(n.toLowerCase(Locale.ROOT))) {
          return;
        }
      }
      throw new AssertionError("message of " + t + " names none of " + String.join(", ", names), t);
    }

    /** The ways a message can name a value: hex with or without 0x, or decimal. */
    private static String[] value(long v) {
      return new String[] {Long.toHexString(v), Long.toString(v)};
    }

    private static String[] concat(String[] a, String... b) {
      String[] out = new String[a.length + b.length];
      System.arraycopy(a, 0, out, 0, a.length);
      System.arraycopy(b, 0, out, a.length, b.length);
      return out;
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("bad ranges and flags: IllegalArgumentException, nothing changed")
    class Ranges {

      @Test
      @DisplayName("mmap(addr, length, flags)")
      void mmapFixed() {
        rejects(IllegalArgumentException.class, () -> mm.mmap(A + 1, PAGE, RW), value(A + 1));
        rejects(
            IllegalArgumentException.class, () -> mm.mmap(A + 0x800, PAGE, RW), value(A + 0x800));
        rejects(
            IllegalArgumentException.class, () -> mm.mmap(0x200000, PAGE + 1, RW), value(PAGE + 1));
        rejects(IllegalArgumentException.class, () -> mm.mmap(0x200000, 0, RW), "0", "length");
        rejects(IllegalArgumentException.class, () -> mm.mmap(0x200000, -PAGE, RW), value(-PAGE));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(Long.MIN_VALUE, PAGE, RW),
            value(Long.MIN_VALUE));
        rejects(IllegalArgumentException.class, () -> mm.mmap(-PAGE, PAGE, RW), value(-PAGE));
        // Below mmap_min_addr: the kernel refuses MAP_FIXED there (EPERM from security_mmap_addr).
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(0, PAGE, RW),
            "mmap_min_addr",
            "MMAP_MIN_ADDR",
            "10000");
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(MmStruct.MMAP_MIN_ADDR - PAGE, 2 * PAGE, RW),
            "mmap_min_addr",
            "MMAP_MIN_ADDR",
            "10000");
        // Past taskSize: starting at it, and straddling it.
        rejects(
            IllegalArgumentException.class, () -> mm.mmap(TASK_SIZE, PAGE, RW), value(TASK_SIZE));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(TASK_SIZE - PAGE, 2 * PAGE, RW),
            concat(value(TASK_SIZE - PAGE), concat(value(TASK_SIZE), value(2 * PAGE))));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(0x200000, TASK_SIZE, RW),
            concat(value(0x200000), value(TASK_SIZE)));
        // Wrap-around: addr + length overflows.
        long huge = Long.MAX_VALUE & -PAGE;
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(0x200000, huge, RW),
            concat(value(huge), value(0x200000)));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(-PAGE, 2 * PAGE, RW),
            concat(value(-PAGE), value(2 * PAGE)));
        // Flag bits VmFlags does not define.
        rejects(
            IllegalArgumentException.class, () -> mm.mmap(0x200000, PAGE, RW | 1L << 40), "flag");
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(0x200000, PAGE, RW | Long.MIN_VALUE),
            "flag");
      }

      @Test
      @DisplayName("mmap(length, flags)")
      void mmapTopDown() {
        rejects(IllegalArgumentException.class, () -> mm.mmap(0, RW), "0", "length");
        rejects(IllegalArgumentException.class, () -> mm.mmap(-PAGE, RW), value(-PAGE));
        rejects(IllegalArgumentException.class, () -> mm.mmap(PAGE + 1, RW), value(PAGE + 1));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mmap(TASK_SIZE + PAGE, RW),
            concat(value(TASK_SIZE + PAGE), value(TASK_SIZE)));
        rejects(
            IllegalArgumentException.class, () -> mm.mmap(Long.MAX_VALUE & -PAGE, RW), "length");
        rejects(IllegalArgumentException.class, () -> mm.mmap(PAGE, RW | 1L << 40), "flag");
      }

      @Test
      @DisplayName("munmap(addr, length)")
      void munmap() {
        rejects(IllegalArgumentException.class, () -> mm.munmap(A + 1, PAGE), value(A + 1));
        rejects(IllegalArgumentException.class, () -> mm.munmap(A, PAGE - 1), value(PAGE - 1));
        rejects(IllegalArgumentException.class, () -> mm.munmap(A, 0), "0", "length");
        rejects(IllegalArgumentException.class, () -> mm.munmap(A, -PAGE), value(-PAGE));
        rejects(IllegalArgumentException.class, () -> mm.munmap(-PAGE, PAGE), value(-PAGE));
        rejects(IllegalArgumentException.class, () -> mm.munmap(TASK_SIZE, PAGE), value(TASK_SIZE));
        rejects(
            IllegalArgumentException.class,
            () -> mm.munmap(A, TASK_SIZE),
            concat(value(A), value(TASK_SIZE)));
        rejects(
            IllegalArgumentException.class,
            () -> mm.munmap(A, Long.MAX_VALUE & -PAGE),
            concat(value(A), value(Long.MAX_VALUE & -PAGE)));
      }

      @Test
      @DisplayName("mprotect(addr, length, flags)")
      void mprotect() {
        rejects(
            IllegalArgumentException.class, () -> mm.mprotect(A + 1, PAGE, VM_READ), value(A + 1));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mprotect(A, PAGE + 8, VM_READ),
            value(PAGE + 8));
        // do_mprotect_pkey(): a zero length returns 0 after the alignment check.
        mm.mprotect(A, 0, VM_READ);
        rejects(IllegalArgumentException.class, () -> mm.mprotect(A + 1, 0, VM_READ), value(A + 1));
        rejects(IllegalArgumentException.class, () -> mm.mprotect(A, -PAGE, VM_READ), value(-PAGE));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mprotect(TASK_SIZE, PAGE, VM_READ),
            value(TASK_SIZE));
        rejects(
            IllegalArgumentException.class,
            () -> mm.mprotect(A, Long.MAX_VALUE & -PAGE, VM_READ),
            concat(value(A), value(Long.MAX_VALUE & -PAGE)));
        rejects(
            IllegalArgumentException.class, () -> mm.mprotect(A, PAGE, VM_READ | 1L << 40), "flag");
        rejects(
            IllegalArgumentException.class,
            () -> mm.mprotect(A, PAGE, Long.MIN_VALUE | VM_READ),
            "flag");
      }

      @Test
      @DisplayName("null arguments: builder, constructor, countVmaLockEvent")
      void nulls() {
        assertThat(catchThrowable(() -> MmStruct.builder().rcu(null).build()))
            .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().cache(null).build()))
            .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().lockMode(null).build()))
            .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().protocol(null).build()))
            .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        assertThat(catchThrowable(() -> new MmStruct(null)))
            .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        VmaLockStats stats = mm.vmaLockStats();
        rejects(IllegalArgumentException.class, () -> mm.countVmaLockEvent(null), "null", "event");
        assertThat(mm.vmaLockStats()).isEqualTo(stats);
      }

      @Test
      @DisplayName("lookups outside the address space find nothing and change nothing")
      void lookupsOutside() {
        Snapshot before = snapshot();
        for (long addr : new long[] {-1L, Long.MIN_VALUE, TASK_SIZE, TASK_SIZE + 12345, 0}) {
          assertThat(mm.lockVmaUnderRcu(addr)).as("lockVmaUnderRcu(%x)", addr).isNull();
          assertThat(mm.lockVmaUnderRcuGuarded(addr)).isNull();
          assertThat(mm.vmaStartReadUnlocked(addr)).as("vmaStartReadUnlocked(%x)", addr).isNull();
          assertThat(mm.lockMmAndFindVma(addr)).as("lockMmAndFindVma(%x)", addr).isNull();
          assertThat(mm.mmapLock().getReadHoldCount()).isZero();
          mm.mmapReadLock();
          try {
            assertThat(mm.vmaLookup(addr)).isNull();
          } finally {
            mm.mmapReadUnlock();
          }
        }
        assertThat(snapshot()).isEqualTo(before);
      }

      @Test
      @DisplayName("builder: taskSize and maxMapCount")
      void builder() {
        assertThat(catchThrowable(() -> MmStruct.builder().taskSize(0).build()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("0");
        assertThat(catchThrowable(() -> MmStruct.builder().taskSize(-PAGE).build()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().taskSize(PAGE * 1000 + 1).build()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().maxMapCount(0).build()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> MmStruct.builder().maxMapCount(-1).build()))
            .isInstanceOf(IllegalArgumentException.class);
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("errno names: each bad address-space call carries the kernel's errno")
    class ErrnoNames {

      private void errno(Errno expected, ThrowingCallable call) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("a failure").isNotNull();
        assertThat(Errno.of(t)).as("errno of %s", t).contains(expected);
        assertThat(t.getMessage()).startsWith(expected.name());
      }

      @Test
      @DisplayName("mmap, munmap, mprotect: EINVAL, ENOMEM, EPERM, EEXIST")
      void names() {
        int anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
        int rw = Mman.PROT_READ | Mman.PROT_WRITE;
        errno(Errno.EINVAL, () -> mm.mmap(A + 1, PAGE, RW));
        errno(Errno.EINVAL, () -> mm.mmap(0x200000, 0, RW));
        errno(Errno.EINVAL, () -> mm.mmap(0x200000, PAGE, RW | 1L << 40));
        errno(Errno.EPERM, () -> mm.mmap(0, PAGE, RW));
        errno(Errno.ENOMEM, () -> mm.mmap(TASK_SIZE, PAGE, RW));
        errno(Errno.ENOMEM, () -> mm.mmap(TASK_SIZE, RW));
        errno(Errno.EINVAL, () -> mm.munmap(A + 1, PAGE));
        errno(Errno.EINVAL, () -> mm.munmap(A, 0));
        errno(Errno.EINVAL, () -> mm.munmap(TASK_SIZE, PAGE));
        errno(Errno.EINVAL, () -> mm.mprotect(A + 1, PAGE, VM_READ));
        errno(Errno.EINVAL, () -> mm.mprotect(A + 1, 0, VM_READ));
        errno(Errno.EINVAL, () -> mm.mprotect(A, PAGE, VM_READ | 1L << 40));
        errno(Errno.ENOMEM, () -> mm.mprotect(TASK_SIZE, PAGE, VM_READ));
        errno(Errno.ENOMEM, () -> mm.mprotect(0x3000_0000L, PAGE, VM_READ));
        errno(Errno.EINVAL, () -> mm.mmap(0, 0, rw, anon));
        errno(Errno.EINVAL, () -> mm.mmap(A + 1, PAGE, rw, anon | Mman.MAP_FIXED));
        errno(Errno.EPERM, () -> mm.mmap(PAGE, PAGE, rw, anon | Mman.MAP_FIXED));
        errno(Errno.ENOMEM, () -> mm.mmap(0, -PAGE, rw, anon));
        errno(Errno.EEXIST, () -> mm.mmap(A, PAGE, rw, anon | Mman.MAP_FIXED_NOREPLACE));
        errno(Errno.EINVAL, () -> mm.mmap(0, PAGE, rw, Mman.MAP_SHARED | Mman.MAP_ANONYMOUS));
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("out of space and map count: IllegalStateException with ENOMEM, nothing changed")
    class OutOfSpace {

      @Test
      @DisplayName("mprotect over a hole")
      void mprotectHole() {
        // From the hole after A's three pages through B: a range that starts in a hole changes
        // nothing (one that starts on a VMA changes the part before the hole, as the kernel).
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.mprotect(A + 3 * PAGE, B + PAGE - (A + 3 * PAGE), VM_READ),
            "ENOMEM");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.mprotect(0x400000, PAGE, VM_READ),
            "ENOMEM");
      }

      @Test
      @DisplayName("mmap(length, flags) with no gap large enough")
      void noGap() {
        mm.close();
        mm = build(MmStruct.builder().taskSize(0x400000));
        mm.mmap(0x200000, PAGE, VM_READ | VM_EXEC);
        vmas.add(lookupUnlocked(0x200000));
        // Gaps: below 0x100000, between the VMAs, and [0x201000, 0x400000): none of 0x300000.
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.mmap(0x300000, RW),
            "ENOMEM");
      }

      @Test
      @DisplayName("mmap, munmap and mprotect that would exceed maxMapCount")
      void mapCountLimit() {
        mm.close();
        mm = build(MmStruct.builder().taskSize(TASK_SIZE).maxMapCount(3));
        assertThat(mm.mapCount()).isEqualTo(3);
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.mmap(0x300000, PAGE, VM_READ),
            "ENOMEM");
        rejects(
            Held.NOTHING, IllegalStateException.class, false, () -> mm.mmap(PAGE, RW), "ENOMEM");
        // Unmapping or protecting the middle page of A would split it into two.
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.munmap(A + PAGE, PAGE),
            "ENOMEM");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            false,
            () -> mm.mprotect(A + PAGE, PAGE, VM_READ),
            "ENOMEM");
        // A mapping that merges adds no VMA and is allowed.
        mm.mmap(A + 3 * PAGE, PAGE, RW);
        assertThat(mm.mapCount()).isEqualTo(3);
      }
    }

    private VmArea lookupUnlocked(long addr) {
      mm.mmapReadLock();
      try {
        return mm.vmaLookup(addr);
      } finally {
        mm.mmapReadUnlock();
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("address-space operations while holding the mmap lock: IllegalStateException")
    class OperationsUnderMmapLock {

      private void underBoth(ThrowingCallable call) {
        rejects(Held.READ, IllegalStateException.class, true, call, "mmap");
        rejects(Held.WRITE, IllegalStateException.class, true, call, "mmap");
      }

      @Test
      @DisplayName("mmap, munmap, mprotect, close, vmaStartReadUnlocked, lockMmAndFindVma")
      void selfDeadlocksAreRefused() {
        underBoth(() -> mm.mmap(0x300000, PAGE, RW));
        underBoth(() -> mm.mmap(PAGE, RW));
        underBoth(() -> mm.munmap(A, PAGE));
        underBoth(() -> mm.mprotect(A, PAGE, VM_READ));
        underBoth(() -> mm.close());
        underBoth(() -> mm.vmaStartReadUnlocked(A));
        underBoth(() -> mm.vmaStartReadUnlockedGuarded(A));
        underBoth(() -> mm.lockMmAndFindVma(A));
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("mmap lock misuse: IllegalStateException naming the lock, locks unchanged")
    class MmapLockMisuse {

      @Test
      @DisplayName("mmapReadUnlock without the lock (the BPF stack-map bug)")
      void readUnlockWithoutLock() {
        rejects(Held.NOTHING, IllegalStateException.class, true, () -> mm.mmapReadUnlock(), "mmap");
        rejects(Held.WRITE, IllegalStateException.class, true, () -> mm.mmapReadUnlock(), "mmap");
        // The lock still works afterwards.
        mm.mmapReadLock();
        mm.mmapReadUnlock();
        mm.mmapWriteLock();
        mm.mmapWriteUnlock();
      }

      @Test
      @DisplayName("stack_map_unlock_vma with the ifdef gone: VMA lock taken, mmap lock released")
      void bpfStackMapUnbalancedUnlock() {
        Snapshot before = snapshot();
        VmArea vma = mm.lockVmaUnderRcu(A);
        assertThat(vma).isNotNull();
        Throwable t = catchThrowable(() -> mm.mmapReadUnlock());
        assertThat(t).isInstanceOf(IllegalStateException.class);
        assertNames(t, "mmap");
        assertThat(vma.refcnt()).as("the VMA read reference is untouched").isEqualTo(2);
        assertThat(mm.mmapLock().getReadLockCount()).isZero();
        vma.endRead();
        assertThat(snapshot()).isEqualTo(before);
      }

      @Test
      @DisplayName("mmapReadUnlock of a read lock another thread holds")
      void readUnlockOfAnotherThreadsLock() throws Exception {
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Future<?> holder =
            other.submit(
                () -> {
                  mm.mmapReadLock();
                  locked.countDown();
                  done.await();
                  mm.mmapReadUnlock();
                  return null;
                });
        assertThat(locked.await(30, TimeUnit.SECONDS)).isTrue();
        Throwable t = catchThrowable(() -> mm.mmapReadUnlock());
        assertThat(t).isInstanceOf(IllegalStateException.class);
        assertNames(t, "mmap");
        assertThat(mm.mmapLock().getReadLockCount()).as("the other thread's hold survives").isOne();
        done.countDown();
        holder.get(30, TimeUnit.SECONDS);
        assertThat(mm.mmapLock().getReadLockCount()).isZero();
      }

      @Test
      @DisplayName("mmapWriteUnlock and mmapWriteDowngrade without the write lock")
      void writeUnlockWithoutLock() {
        rejects(
            Held.NOTHING, IllegalStateException.class, true, () -> mm.mmapWriteUnlock(), "mmap");
        rejects(Held.READ, IllegalStateException.class, true, () -> mm.mmapWriteUnlock(), "mmap");
        rejects(
            Held.NOTHING, IllegalStateException.class, true, () -> mm.mmapWriteDowngrade(), "mmap");
        rejects(
            Held.READ, IllegalStateException.class, true, () -> mm.mmapWriteDowngrade(), "mmap");
      }

      @Test
      @DisplayName("taking the mmap lock again while holding it (the kernel would deadlock)")
      void recursiveLocking() {
        rejects(Held.READ, IllegalStateException.class, true, () -> mm.mmapReadLock(), "mmap");
        rejects(Held.WRITE, IllegalStateException.class, true, () -> mm.mmapReadLock(), "mmap");
        rejects(Held.READ, IllegalStateException.class, true, () -> mm.mmapWriteLock(), "mmap");
        rejects(Held.WRITE, IllegalStateException.class, true, () -> mm.mmapWriteLock(), "mmap");
        rejects(
            Held.READ, IllegalStateException.class, true, () -> mm.mmapReadLockKillable(), "mmap");
        rejects(
            Held.WRITE,
            IllegalStateException.class,
            true,
            () -> mm.mmapWriteLockKillable(),
            "mmap");
      }

      @Test
      @DisplayName("mmapReadTrylock while holding the write lock is not granted")
      void trylockUnderWriteLock() {
        Snapshot before = snapshot();
        mm.mmapWriteLock();
        try {
          Throwable t = catchThrowable(() -> assertThat(mm.mmapReadTrylock()).isFalse());
          if (t != null) {
            assertThat(t).isInstanceOf(IllegalStateException.class);
          }
          assertThat(mm.mmapLock().getReadHoldCount()).as("no read hold granted").isZero();
        } finally {
          mm.mmapWriteUnlock();
        }
        assertThat(snapshot()).isEqualTo(before);
      }

      @Test
      @DisplayName("vmaLookup, findVma, findVmaPrev, findVmaIntersection without the mmap lock")
      void lookupsWithoutLock() {
        rejects(Held.NOTHING, IllegalStateException.class, true, () -> mm.vmaLookup(A), "mmap");
        rejects(Held.NOTHING, IllegalStateException.class, true, () -> mm.findVma(A), "mmap");
        rejects(Held.NOTHING, IllegalStateException.class, true, () -> mm.findVmaPrev(A), "mmap");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            () -> mm.findVmaIntersection(A, B),
            "mmap");
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("VMA lock misuse: IllegalStateException, refcounts unchanged")
    class VmaLockMisuse {

      @Test
      @DisplayName("endRead without a read reference (vma_end_read underflow)")
      void endReadWithoutReference() {
        VmArea a = vmas.get(0);
        rejects(IllegalStateException.class, a::endRead, "read", "refcnt", "reference");
        VmArea r = mm.lockVmaUnderRcu(A);
        assertThat(r).isSameAs(a);
        r.endRead();
        rejects(IllegalStateException.class, a::endRead, "read", "refcnt", "reference");
      }

      @Test
      @DisplayName("endRead on a detached VMA")
      void endReadOnDetached() {
        VmArea b = vmas.get(1);
        mm.munmap(B, PAGE);
        vmas.remove(b);
        assertThat(b.isAttached()).isFalse();
        assertThat(b.refcnt()).isZero();
        rejects(IllegalStateException.class, b::endRead, "read", "refcnt", "detached", "reference");
        assertThat(b.refcnt()).isZero();
      }

      @Test
      @DisplayName("VmaReadGuard closed twice releases one reference only")
      void guardClosedTwice() {
        VmaReadGuard g = mm.lockVmaUnderRcuGuarded(A);
        assertThat(g).isNotNull();
        assertThat(g.vma().refcnt()).isEqualTo(2);
        g.close();
        Throwable t = catchThrowable(g::close);
        if (t != null) {
          assertThat(t).isInstanceOf(IllegalStateException.class);
        }
        assertThat(vmas.get(0).refcnt()).isOne();
      }

      @Test
      @DisplayName("startReadLocked without the mmap lock")
      void startReadLockedWithoutMmapLock() {
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            () -> vmas.get(0).startReadLocked(),
            "mmap");
      }

      @Test
      @DisplayName("startWrite / startWriteInterruptibly without the mmap write lock")
      void startWriteWithoutWriteLock() {
        VmArea a = vmas.get(0);
        rejects(Held.NOTHING, IllegalStateException.class, true, a::startWrite, "mmap");
        rejects(Held.READ, IllegalStateException.class, true, a::startWrite, "mmap");
        rejects(
            Held.NOTHING, IllegalStateException.class, true, a::startWriteInterruptibly, "mmap");
        rejects(Held.READ, IllegalStateException.class, true, a::startWriteInterruptibly, "mmap");
        assertThat(a.isWriteLocked()).isFalse();
      }

      @Test
      @DisplayName("startWrite / startReadLocked holding another mm's mmap lock")
      void lockOfAnotherMm() {
        MmStruct other = MmStruct.builder().taskSize(TASK_SIZE).build();
        try {
          VmArea a = vmas.get(0);
          Snapshot before = snapshot();
          other.mmapWriteLock();
          try {
            assertThat(catchThrowable(a::startWrite)).isInstanceOf(IllegalStateException.class);
            assertThat(catchThrowable(a::startReadLocked))
                .isInstanceOf(IllegalStateException.class);
          } finally {
            other.mmapWriteUnlock();
          }
          assertThat(a.isWriteLocked()).isFalse();
          assertThat(snapshot()).isEqualTo(before);
        } finally {
          other.close();
        }
      }

      @Test
      @DisplayName("the kernel's assertions name themselves")
      void assertions() {
        VmArea a = vmas.get(0);
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            () -> mm.mmapAssertLocked(),
            "mmap_assert_locked");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            () -> mm.mmapAssertWriteLocked(),
            "mmap_assert_write_locked");
        rejects(
            Held.READ,
            IllegalStateException.class,
            true,
            () -> mm.mmapAssertWriteLocked(),
            "mmap_assert_write_locked");
        rejects(
            Held.READ,
            IllegalStateException.class,
            true,
            a::vmaAssertWriteLocked,
            "vma_assert_write_locked");
        rejects(
            Held.WRITE,
            IllegalStateException.class,
            true,
            a::vmaAssertWriteLocked,
            "vma_assert_write_locked");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            a::vmaAssertLocked,
            "vma_assert_locked");
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            a::vmaAssertDetached,
            "vma_assert_detached");
        // And they pass when their condition holds.
        mm.mmapReadLock();
        mm.mmapAssertLocked();
        a.vmaAssertAttached();
        mm.mmapReadUnlock();
        mm.mmapWriteLock();
        try {
          mm.mmapAssertWriteLocked();
          a.startWrite();
          a.vmaAssertWriteLocked();
          a.vmaAssertLocked();
        } finally {
          mm.mmapWriteUnlock();
        }
        VmArea b = vmas.get(1);
        mm.munmap(B, PAGE);
        vmas.remove(b);
        b.vmaAssertDetached();
        rejects(
            Held.NOTHING,
            IllegalStateException.class,
            true,
            b::vmaAssertAttached,
            "vma_assert_attached");
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("refcount overflow at the lowered VM_REFCNT_LIMIT")
    class Overflow {

      @Test
      @DisplayName("every read-lock path refuses the reader past the limit, nothing leaks")
      void overflow() {
        mm.close();
        mm = build(MmStruct.builder().taskSize(TASK_SIZE).refcntLimit(3));
        VmArea a = vmas.get(0);
        {
          VmArea r1 = mm.lockVmaUnderRcu(A);
          VmArea r2 = mm.lockVmaUnderRcu(A);
          assertThat(r1).isSameAs(a);
          assertThat(r2).isSameAs(a);
          assertThat(a.refcnt()).isEqualTo(3);
          Snapshot full = snapshot();

          long aborts = mm.vmaLockStats().abort();
          assertThat(mm.lockVmaUnderRcu(A)).as("lock_vma_under_rcu past the limit").isNull();
          assertThat(mm.vmaLockStats().abort())
              .as("counted as VMA_LOCK_ABORT")
              .isEqualTo(aborts + 1);
          assertThat(mm.lockVmaUnderRcuGuarded(A)).isNull();

          // The series' slow path: if (!vma_start_read_locked(vma)) return NULL.
          assertThat(mm.vmaStartReadUnlocked(A))
              .as("vma_start_read_unlocked at the limit")
              .isNull();
          assertThat(mm.mmapLock().getReadHoldCount()).as("mmap_lock dropped").isZero();
          assertThat(mm.vmaStartReadUnlockedGuarded(A)).isNull();
          assertThat(mm.mmapLock().getReadHoldCount()).as("mmap_lock dropped").isZero();

          Throwable t = catchThrowable(() -> mm.lockNextVma(A));
          assertThat(t)
              .as("lock_next_vma's fallback past the limit")
              .isInstanceOf(IllegalStateException.class);
          assertNames(t, "VM_REFCNT_LIMIT");
          assertThat(mm.mmapLock().getReadHoldCount()).as("mmap_lock dropped").isZero();

          mm.mmapReadLock();
          try {
            assertThat(a.startReadLocked()).as("vma_start_read_locked past the limit").isFalse();
          } finally {
            mm.mmapReadUnlock();
          }
          assertThat(snapshot()).isEqualTo(full);
          r1.endRead();
          r2.endRead();
        }
        assertThat(a.refcnt()).isOne();
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("use after close and MMAP_LOCK_ONLY restrictions")
    class Lifecycle {

      @Test
      @DisplayName("address-space operations after close")
      void useAfterClose() {
        mm.close();
        assertThat(mm.mapCount()).isZero();
        for (VmArea v : vmas) {
          assertThat(v.isAttached()).as("%s freed by exit_mmap", v).isFalse();
        }
        VmArea freed = vmas.get(0);
        vmas.clear();
        rejects(IllegalStateException.class, freed::endRead);
        assertThat(freed.refcnt()).isZero();
        rejects(IllegalStateException.class, () -> mm.mmap(0x300000, PAGE, RW));
        rejects(IllegalStateException.class, () -> mm.mmap(PAGE, RW));
        rejects(IllegalStateException.class, () -> mm.munmap(A, PAGE));
        rejects(IllegalStateException.class, () -> mm.mprotect(A, PAGE, VM_READ));
        rejects(IllegalStateException.class, () -> mm.close());
        assertThat(mm.lockVmaUnderRcu(A)).isNull();
      }

      @Test
      @DisplayName("vmaStartReadUnlocked in MMAP_LOCK_ONLY: UnsupportedOperationException")
      void startReadUnlockedWithoutPerVmaLocks() {
        mm.close();
        mm = build(MmStruct.builder().lockMode(LockMode.MMAP_LOCK_ONLY));
        rejects(UnsupportedOperationException.class, () -> mm.vmaStartReadUnlocked(A));
        rejects(UnsupportedOperationException.class, () -> mm.vmaStartReadUnlockedGuarded(A));
        assertThat(mm.lockVmaUnderRcu(A)).isNull();
      }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("debug mode (lockdep-like): misuse found deterministically")
    class Debug {

      @BeforeEach
      void debugMm() {
        mm.close();
        mm = build(MmStruct.builder().debug(true));
      }

      @Test
      @DisplayName("endRead by a thread that holds no reference")
      void endReadByNonHolder() throws Exception {
        VmArea a = vmas.get(0);
        Future<VmArea> reader = other.submit(() -> mm.lockVmaUnderRcu(A));
        assertThat(reader.get(30, TimeUnit.SECONDS)).isSameAs(a);
        rejects(IllegalStateException.class, a::endRead, "read", "reference", "hold");
        assertThat(a.refcnt()).isEqualTo(2);
        other.submit(a::endRead).get(30, TimeUnit.SECONDS);
        assertThat(a.refcnt()).isOne();
      }

      @Test
      @DisplayName("assertNoLocksHeld and assertQuiescent find held and leaked locks")
      void assertNoLocksHeldAndQuiescent() throws Exception {
        mm.assertNoLocksHeld();
        mm.assertQuiescent();
        rejects(Held.READ, IllegalStateException.class, true, () -> mm.assertNoLocksHeld(), "mmap");
        VmArea a = mm.lockVmaUnderRcu(A);
        assertThat(catchThrowable(() -> mm.assertNoLocksHeld()))
            .isInstanceOf(IllegalStateException.class);
        assertThat(mm.heldLocks()).isNotBlank();
        a.endRead();
        // A reference leaked by another thread (the BPF stack-map leak).
        other.submit(() -> mm.lockVmaUnderRcu(A)).get(30, TimeUnit.SECONDS);
        mm.assertNoLocksHeld();
        Throwable t = catchThrowable(() -> mm.assertQuiescent());
        assertThat(t).isInstanceOf(IllegalStateException.class);
        assertNames(t, concat(value(A), "refcnt"));
        other.submit(a::endRead).get(30, TimeUnit.SECONDS);
        mm.assertQuiescent();
      }

      @Test
      @DisplayName("a blocking call inside noSleep (might_sleep) throws and takes nothing")
      void noSleep() {
        Snapshot before = snapshot();
        Throwable t = catchThrowable(() -> mm.noSleep(() -> mm.mmapReadLock()));
        assertThat(t).isInstanceOf(IllegalStateException.class);
        assertThat(mm.mmapLock().getReadHoldCount()).isZero();
        t = catchThrowable(() -> mm.noSleep(() -> mm.munmap(A, PAGE)));
        assertThat(t).isInstanceOf(IllegalStateException.class);
        assertThat(snapshot()).isEqualTo(before);
        // The non-blocking trylock path is fine in a no-sleep context.
        mm.noSleep(
            () -> {
              VmArea v = mm.lockVmaUnderRcu(A);
              assertThat(v).isNotNull();
              v.endRead();
            });
        assertThat(snapshot()).isEqualTo(before);
      }
    }
  }
}
