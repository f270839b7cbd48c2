package io.github.vmalock.jmh;

import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The read side, one thread, no writer: finding the VMA that covers an address and holding it
 * stable for a moment, with per-VMA locks ({@code lock_vma_under_rcu()} + {@code vma_end_read()},
 * and the series' {@code vma_start_read_unlocked()} + {@code vma_end_read()}) and with what a
 * kernel without them, or a Java user, would do instead.
 *
 * <p>Each operation takes the next address of a fixed random stream ({@link MmLayout#addresses}),
 * looks it up, reads the found VMA's start under whatever keeps it stable, releases, and returns
 * the start (-1 for a gap), which JMH consumes. The trial's setup checks every address of the
 * stream against the layout through the implementation under test, so a baseline that finds the
 * wrong range fails the run instead of measuring something else, and ends with a full collection
 * ({@link MmLayout#compact()}): building 65,536 VMAs leaves hundreds of MB of copy-on-write garbage
 * between the live objects, and without it the 65,536-VMA numbers depended on where each fork's
 * young collections had put them (single forks differed by 2x).
 *
 * <p>The floors ({@link #floorVolatileRead}, {@link #floorCas}) anchor what this machine does in a
 * nanosecond or two; they have no parameters and run once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class VmaLookupBench {

  /** What a lookup uses to find and hold the VMA. */
  public enum Impl {
    /** {@code lockVmaUnderRcu(addr)} + {@code endRead()}: the per-VMA fast path. */
    PER_VMA,
    /**
     * {@code vmaStartReadUnlocked(addr)} + {@code endRead()}: the series' helper (fast path, and
     * its {@code mmap_lock} fallback for the misses).
     */
    PER_VMA_UNLOCKED,
    /**
     * {@code mmapReadLock()} + {@code vmaLookup(addr)} + {@code mmapReadUnlock()}: a kernel built
     * without per-VMA locks, on an mm built with {@link LockMode#MMAP_LOCK_ONLY}.
     */
    MMAP_LOCK_ONLY,
    /**
     * {@code ConcurrentSkipListMap.floorEntry} + an {@code AtomicInteger} increment and decrement
     * on the found range: a lock-free index with a refcount, the obvious Java alternative.
     */
    CSLM,
    /** A {@code TreeMap.floorEntry} under a {@code StampedLock} optimistic read, validated. */
    STAMPED,
    /**
     * The bare {@code MapleTree.load} over the same ranges, nothing else: what the per-VMA fast
     * path adds to its tree walk.
     */
    MAPLE_LOAD
  }

  /**
   * A range of the Java baselines: the found value is itself the refcount (an {@code
   * AtomicInteger}), as {@code vm_refcnt} sits inside the VMA; no extra indirection.
   */
  static final class Range extends AtomicInteger {
    private static final long serialVersionUID = 1L;

    final long start;
    final long end;

    Range(long start, long end) {
      super(1);
      this.start = start;
      this.end = end;
    }
  }

  /** A bare maple tree holding the layout's first {@code n} ranges (each its own value). */
  static MapleTree<Range> mapleOf(int n) {
    MapleTree<Range> tree = new MapleTree<>();
    for (int i = 0; i < n; i++) {
      Range r = range(i);
      tree.storeRange(r.start, r.end - 1, r);
    }
    return tree;
  }

  /** Range {@code i} of the layout, for the baselines' structures. */
  static Range range(int i) {
    long start = MmLayout.vmaStart(i);
    return new Range(start, start + MmLayout.VMA_LENGTH);
  }

  /** The address space under test, built once per trial for the selected implementation only. */
  @State(Scope.Benchmark)
  public static class Space {
    /** Number of VMAs (ranges). */
    @Param({"64", "4096", "65536"})
    public int size;

    /** The implementation under test. */
    @Param({"PER_VMA", "PER_VMA_UNLOCKED", "MMAP_LOCK_ONLY", "CSLM", "STAMPED", "MAPLE_LOAD"})
    public Impl impl;

    /** Percentage of the addresses that fall into the gaps between VMAs (lookups that miss). */
    @Param({"0", "10"})
    public int gapPct;

    long[] addrs;
    Long[] boxedAddrs;
    MmStruct mm;
    ConcurrentSkipListMap<Long, Range> cslm;
    TreeMap<Long, Range> tree;
    StampedLock stamped;
    MapleTree<Range> maple;

    /** Builds the structure of {@link #impl} and checks every address of the stream through it. */
    @Setup(Level.Trial)
    public void setUp() {
      addrs = MmLayout.addresses(size, gapPct);
      switch (impl) {
        case PER_VMA, PER_VMA_UNLOCKED -> mm = MmLayout.populate(size, LockMode.PER_VMA);
        case MMAP_LOCK_ONLY -> mm = MmLayout.populate(size, LockMode.MMAP_LOCK_ONLY);
        case CSLM -> {
          cslm = new ConcurrentSkipListMap<>();
          for (int i = 0; i < size; i++) {
            Range r = range(i);
            cslm.put(r.start, r);
          }
        }
        case STAMPED -> {
          stamped = new StampedLock();
          tree = new TreeMap<>();
          for (int i = 0; i < size; i++) {
            Range r = range(i);
            tree.put(r.start, r);
          }
        }
        case MAPLE_LOAD -> maple = mapleOf(size);
      }
      // The Java maps take their keys boxed: box once here, so that the baselines are not
      // charged an allocation per lookup that a careful user would avoid.
      if (impl == Impl.CSLM || impl == Impl.STAMPED) {
        boxedAddrs = new Long[addrs.length];
        for (int k = 0; k < addrs.length; k++) {
          boxedAddrs[k] = addrs[k];
        }
      }
      for (int k = 0; k < addrs.length; k++) {
        MmLayout.check(impl.name(), size, addrs[k], lookup(k));
      }
      if (mm != null) {
        // Every read reference dropped, the mmap lock free: the check's lookups leaked nothing.
        mm.assertQuiescent();
      }
      MmLayout.compact();
    }

    /** The measured lookups leaked nothing either (checked without allocating). */
    @TearDown(Level.Trial)
    public void check() {
      if (mm != null) {
        MmLayout.checkAtRest(mm, size);
      }
    }

    /** One lookup of address number {@code k} through {@link #impl}: the found start, or -1. */
    long lookup(int k) {
      switch (impl) {
        case PER_VMA:
          return perVma(addrs[k]);
        case PER_VMA_UNLOCKED:
          return perVmaUnlocked(addrs[k]);
        case MMAP_LOCK_ONLY:
          return mmapLockOnly(addrs[k]);
        case CSLM:
          return cslm(boxedAddrs[k]);
        case STAMPED:
          return stamped(boxedAddrs[k]);
        case MAPLE_LOAD:
          return mapleLoad(addrs[k]);
      }
      throw new AssertionError(impl);
    }

    private long perVma(long addr) {
      VmArea vma = mm.lockVmaUnderRcu(addr);
      if (vma == null) {
        return -1;
      }
      long start = vma.start();
      vma.endRead();
      return start;
    }

    private long perVmaUnlocked(long addr) {
      VmArea vma = mm.vmaStartReadUnlocked(addr);
      if (vma == null) {
        return -1;
      }
      long start = vma.start();
      vma.endRead();
      return start;
    }

    private long mmapLockOnly(long addr) {
      mm.mmapReadLock();
      try {
        return MmLayout.startOf(mm.vmaLookup(addr));
      } finally {
        mm.mmapReadUnlock();
      }
    }

    private long cslm(Long addr) {
      Map.Entry<Long, Range> e = cslm.floorEntry(addr);
      if (e == null) {
        return -1;
      }
      Range r = e.getValue();
      if (addr >= r.end) {
        return -1;
      }
      r.incrementAndGet();
      long start = r.start;
      r.decrementAndGet();
      return start;
    }

    private long stamped(Long addr) {
      long stamp = stamped.tryOptimisticRead();
      long start = treeFloor(addr);
      if (!stamped.validate(stamp)) {
        stamp = stamped.readLock();
        try {
          start = treeFloor(addr);
        } finally {
          stamped.unlockRead(stamp);
        }
      }
      return start;
    }

    private long treeFloor(Long addr) {
      Map.Entry<Long, Range> e = tree.floorEntry(addr);
      if (e == null) {
        return -1;
      }
      Range r = e.getValue();
      return addr < r.end ? r.start : -1;
    }

    private long mapleLoad(long addr) {
      Range r = maple.load(addr);
      return r == null ? -1 : r.start;
    }
  }

  /** Each thread's position in the address stream. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  /**
   * One lookup through the selected implementation.
   *
   * @return the found VMA's start, or -1 for an address in a gap
   */
  @Benchmark
  public long lookup(Space space, Cursor cursor) {
    int k = cursor.next;
    cursor.next = MmLayout.nextAddress(k);
    return space.lookup(k);
  }

  /** The floors' words, on their own: no parameters, so the floors run once. */
  @State(Scope.Thread)
  public static class Floor {
    volatile long word = 42;
    final AtomicLong casWord = new AtomicLong();
    long expected;
  }

  /** Floor: one volatile load. */
  @Benchmark
  public long floorVolatileRead(Floor floor) {
    return floor.word;
  }

  /** Floor: one uncontended CAS that always succeeds (the word is this thread's alone). */
  @Benchmark
  public boolean floorCas(Floor floor) {
    long e = floor.expected;
    floor.expected = e + 1;
    return floor.casWord.compareAndSet(e, e + 1);
  }
}
