package io.github.vmalock.jmh;

import io.github.vmalock.jmh.baseline.Range;
import io.github.vmalock.jmh.baseline.SkipListLookup;
import io.github.vmalock.jmh.baseline.StampedTreeMapLookup;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
     * on the found range: a lock-free index with a refcount, the obvious Java alternative ({@link
     * SkipListLookup}).
     */
    CSLM,
    /**
     * A {@code TreeMap.floorEntry} under a {@code StampedLock} optimistic read, validated ({@link
     * StampedTreeMapLookup}).
     */
    STAMPED,
    /**
     * The bare {@code MapleTree.load} over the same ranges, nothing else: what the per-VMA fast
     * path adds to its tree walk.
     */
    MAPLE_LOAD
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
    SkipListLookup cslm;
    StampedTreeMapLookup stamped;
    MapleTree<Range> maple;

    /** Builds the structure of {@link #impl} and checks every address of the stream through it. */
    @Setup(Level.Trial)
    public void setUp() {
      addrs = MmLayout.addresses(size, gapPct);
      switch (impl) {
        case PER_VMA, PER_VMA_UNLOCKED -> mm = MmLayout.populate(size, LockMode.PER_VMA);
        case MMAP_LOCK_ONLY -> mm = MmLayout.populate(size, LockMode.MMAP_LOCK_ONLY);
        case CSLM -> {
          cslm = new SkipListLookup();
          for (int i = 0; i < size; i++) {
            cslm.add(MmLayout.range(i));
          }
        }
        case STAMPED -> {
          stamped = new StampedTreeMapLookup();
          for (int i = 0; i < size; i++) {
            stamped.add(MmLayout.range(i));
          }
        }
        case MAPLE_LOAD -> maple = MmLayout.bareMaple(size);
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
          return cslm.lookup(boxedAddrs[k]);
        case STAMPED:
          return stamped.lookup(boxedAddrs[k]);
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

    private long mapleLoad(long addr) {
      Range r = maple.load(addr);
      return r == null ? -1 : r.start;
    }
  }

  /** Each thread's position in the address stream. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    /**
     * Moves to the next address of the stream (the diagnostics' lookups, in their own package).
     *
     * @return the index of the address to look up now
     */
    public int advance() {
      int k = next;
      next = MmLayout.nextAddress(k);
      return k;
    }
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
