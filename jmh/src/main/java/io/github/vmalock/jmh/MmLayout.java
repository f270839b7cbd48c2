package io.github.vmalock.jmh;

import io.github.vmalock.jmh.baseline.Range;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import java.util.SplittableRandom;

/**
 * The address-space layout every mm benchmark uses, so that their numbers compare: {@code n}
 * anonymous read-write VMAs of {@link #VMA_LENGTH} bytes, one after the other from {@link #BASE},
 * with a one-page gap after each (so that {@code vma_merge} cannot merge neighbours), and a far
 * region {@link #FAR} where writers map and unmap without touching the readers' VMAs.
 *
 * <p>Public for the diagnostics in {@code io.github.vmalock.jmh.diagnostics}, which build the same
 * layout; it is not an API.
 *
 * <p>The random addresses are generated once per trial from a fixed seed, so every implementation
 * of a benchmark sees the same addresses in the same order.
 */
public final class MmLayout {
  /** A page, as the model's (4 KiB). */
  public static final long PAGE = 4096;

  /** Where the first VMA starts. */
  public static final long BASE = 0x1000_0000L;

  /** Each VMA covers two pages. */
  public static final long VMA_LENGTH = 2 * PAGE;

  /** VMA {@code i} starts at {@code BASE + i * STRIDE}: its two pages, then a one-page gap. */
  public static final long STRIDE = VMA_LENGTH + PAGE;

  /** Far above the last VMA of the largest layout (65,536 x 12 KiB = 768 MiB): 64 GiB. */
  public static final long FAR = 0x10_0000_0000L;

  /** The writers' mapping in the far region: four pages. */
  public static final long FAR_LENGTH = 4 * PAGE;

  /** Read-write anonymous mappings. */
  public static final long FLAGS = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /** How many addresses a lookup benchmark cycles through (a power of two). */
  public static final int ADDRESSES = 1 << 16;

  /** The position after {@code k} in an address stream of {@link #ADDRESSES}, wrapping to 0. */
  public static int nextAddress(int k) {
    return (k + 1) & (ADDRESSES - 1);
  }

  /** The fixed seed of the address streams. */
  public static final long SEED = 0x5eed_5eedL;

  private MmLayout() {}

  /** The start of VMA {@code i}. */
  public static long vmaStart(int i) {
    return BASE + i * STRIDE;
  }

  /**
   * An mm holding {@code n} VMAs in this layout, with {@code maxMapCount} raised above {@code n}
   * (the default 65,530 is below the largest layout), and checked: the map count must be {@code n},
   * or the neighbours merged and every benchmark on it would measure the wrong thing.
   */
  public static MmStruct populate(int n, LockMode mode) {
    if (n < 1) {
      throw new IllegalArgumentException("VMA count must be positive: " + n);
    }
    MmStruct mm = MmStruct.builder().maxMapCount(n + 1024).lockMode(mode).build();
    for (int i = 0; i < n; i++) {
      mm.mmap(vmaStart(i), VMA_LENGTH, FLAGS);
    }
    if (mm.mapCount() != n) {
      throw new IllegalStateException(
          "expected " + n + " separate VMAs but the mm has " + mm.mapCount());
    }
    return mm;
  }

  /**
   * Checks, without allocating, that the mm is at rest after a trial: the mmap lock free, and each
   * of the layout's {@code n} VMAs unlocked ({@code vm_refcnt} 1, or 0 for {@link
   * LockMode#MMAP_LOCK_ONLY}, which never attaches) and not write-locked. A trial teardown runs
   * inside the last measured iteration as JMH's gc profiler sees it, so it must not allocate:
   * {@code MmStruct.assertQuiescent()} collects the VMAs into a list, which showed up as B/op.
   *
   * @throws IllegalStateException naming the first VMA not at rest
   */
  public static void checkAtRest(MmStruct mm, int n) {
    if (mm.mmapLock().isWriteLocked() || mm.mmapLock().getReadLockCount() != 0) {
      throw new IllegalStateException("mmap_lock still held after the trial: " + mm.mmapLock());
    }
    int expected = mm.lockMode() == LockMode.PER_VMA ? 1 : 0;
    mm.mmapReadLock();
    try {
      for (int i = 0; i < n; i++) {
        VmArea vma = mm.vmaLookup(vmaStart(i));
        if (vma == null || vma.refcnt() != expected || vma.isWriteLocked()) {
          throw new IllegalStateException("VMA " + i + " not at rest after the trial: " + vma);
        }
      }
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /**
   * {@link #ADDRESSES} random addresses: each picks a VMA uniformly and then, with probability
   * {@code gapPercent}/100, a byte in the gap page after it, otherwise a byte inside it.
   */
  public static long[] addresses(int n, int gapPercent) {
    return addresses(n, 1, gapPercent);
  }

  /**
   * {@link #ADDRESSES} random addresses over {@code count} of the layout's VMAs, every {@code
   * stride}-th from VMA 0 (VMAs 0, stride, 2 stride, ...): each address picks one of them
   * uniformly, then a byte as {@link #addresses(int, int)} does. With {@code stride} 1 this is that
   * stream.
   */
  public static long[] addresses(int count, int stride, int gapPercent) {
    if (gapPercent < 0 || gapPercent > 100) {
      throw new IllegalArgumentException("gap percentage must be in [0, 100]: " + gapPercent);
    }
    if (count < 1 || stride < 1) {
      throw new IllegalArgumentException(
          "VMA count and stride must be positive: " + count + ", " + stride);
    }
    SplittableRandom rnd = new SplittableRandom(SEED);
    long[] addrs = new long[ADDRESSES];
    for (int k = 0; k < addrs.length; k++) {
      long start = vmaStart(rnd.nextInt(count) * stride);
      addrs[k] =
          rnd.nextInt(100) < gapPercent
              ? start + VMA_LENGTH + rnd.nextLong(PAGE)
              : start + rnd.nextLong(VMA_LENGTH);
    }
    return addrs;
  }

  /**
   * Ends a trial's setup with a full collection, so that the structures it built sit packed in the
   * heap (the collector slides live objects together, dropping the garbage that copy-on-write
   * stores left between them), as a slab cache keeps VMAs dense, instead of wherever the young
   * collections during the build happened to leave them. {@code -Dvmalock.bench.compact=false}
   * skips it.
   */
  public static void compact() {
    if (Boolean.parseBoolean(System.getProperty("vmalock.bench.compact", "true"))) {
      System.gc();
    }
  }

  /** Whether {@code addr} lies inside a VMA of the layout (not in a gap), for self-checks. */
  public static boolean mapped(int n, long addr) {
    long off = addr - BASE;
    return off >= 0 && off / STRIDE < n && off % STRIDE < VMA_LENGTH;
  }

  /** The start of the layout's VMA containing {@code addr}, or -1 in a gap. */
  public static long expectedStart(int n, long addr) {
    return mapped(n, addr) ? addr - (addr - BASE) % STRIDE : -1;
  }

  /**
   * Checks one lookup's answer against the layout.
   *
   * @throws IllegalStateException naming the address when the answer is wrong
   */
  public static void check(String what, int n, long addr, long foundStart) {
    long expected = expectedStart(n, addr);
    if (foundStart != expected) {
      throw new IllegalStateException(
          what
              + " at 0x"
              + Long.toHexString(addr)
              + " found start "
              + foundStart
              + ", expected "
              + expected);
    }
  }

  /** The start of a VMA found by a lookup, or -1 for none. */
  public static long startOf(VmArea vma) {
    return vma == null ? -1 : vma.start();
  }

  /**
   * Range {@code i} of the layout, for the baselines' structures and the bare maple tree.
   *
   * @param i the VMA's index
   * @return a fresh range with its refcount at 1
   */
  public static Range range(int i) {
    long start = vmaStart(i);
    return new Range(start, start + VMA_LENGTH);
  }

  /**
   * A bare maple tree holding the layout's first {@code n} ranges (each its own value): the {@code
   * MAPLE_LOAD} walk that the per-VMA fast path is measured against.
   *
   * @param n the number of ranges
   * @return the tree
   */
  public static MapleTree<Range> bareMaple(int n) {
    MapleTree<Range> tree = new MapleTree<>();
    for (int i = 0; i < n; i++) {
      Range r = range(i);
      tree.storeRange(r.start, r.end - 1, r);
    }
    return tree;
  }
}
