package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import io.github.vmalock.jmh.WriterCostBench;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the bytes of {@link WriterCostBench}'s {@code mmap} + {@code munmap} cycle go, at more
 * sizes than the benchmark runs: a diagnostic, not a benchmark. For each layout size it builds the
 * {@link MmLayout} address space and, beside it, a bare {@link MapleTree} with the same ranges
 * stored in the same order (so the same shape: its {@code toString()} reports the height), runs the
 * cycle on both, and counts the bytes the thread allocates per cycle with the JVM's per-thread
 * allocation counter ({@code com.sun.management.ThreadMXBean}; exact, and independent of what else
 * the machine runs, unlike time):
 *
 * <ul>
 *   <li>{@code mm mmap}, {@code mm munmap}: the address-space operations, as the benchmark runs
 *       them;
 *   <li>{@code tree}: {@code storeRange} of the far range and {@code storeRange} of null over it on
 *       the bare tree: the copy-on-write tree's share (the path copies and their scratch);
 *   <li>{@code rest}: the cycle minus the tree's share: the VMA object, the {@code munmap} gather
 *       list, the RCU callback that frees the VMA, and the like.
 * </ul>
 *
 * <p>It also prints the built mm's live size ({@code mm live KB}: the heap in use after full
 * collections, before and after building it), the working set a lookup over all its VMAs draws from
 * (see {@link WorkingSetBench}).
 *
 * <p>Run: {@code java -cp jmh/target/benchmarks.jar
 * io.github.vmalock.jmh.diagnostics.AllocationBySize}.
 */
public final class AllocationBySize {
  private static final int WARMUP = 20_000;
  private static final int CYCLES = 20_000;
  private static final Pattern HEIGHT = Pattern.compile("height=(\\d+)");

  private AllocationBySize() {}

  /**
   * Prints one Markdown table row per size.
   *
   * @param args optional sizes (default 16 to 65,536 in steps of four)
   */
  public static void main(String[] args) {
    int[] sizes = {16, 64, 256, 1024, 4096, 16384, 65536};
    if (args.length > 0) {
      sizes = new int[args.length];
      for (int i = 0; i < args.length; i++) {
        sizes[i] = Integer.parseInt(args[i]);
      }
    }
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    if (!mx.isThreadAllocatedMemorySupported()) {
      throw new IllegalStateException("this JVM does not count allocated bytes per thread");
    }
    long tid = Thread.currentThread().getId();
    System.out.println(
        "| VMAs | tree height | mm live KB | live B per VMA | mm mmap B | mm munmap B | cycle B |"
            + " tree B | rest B | cycle B per level |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (int n : sizes) {
      long heapBefore = liveHeap();
      MmStruct mm = MmLayout.populate(n, LockMode.PER_VMA);
      long live = liveHeap() - heapBefore;
      MapleTree<Object> tree = new MapleTree<>();
      Object marker = new Object();
      for (int i = 0; i < n; i++) {
        long start = MmLayout.vmaStart(i);
        tree.storeRange(start, start + MmLayout.VMA_LENGTH - 1, marker);
      }
      Matcher m = HEIGHT.matcher(tree.toString());
      int height = m.find() ? Integer.parseInt(m.group(1)) : -1;
      long last = MmLayout.FAR + MmLayout.FAR_LENGTH - 1;
      for (int i = 0; i < WARMUP; i++) {
        mm.mmap(MmLayout.FAR, MmLayout.FAR_LENGTH, MmLayout.FLAGS);
        mm.munmap(MmLayout.FAR, MmLayout.FAR_LENGTH);
        tree.storeRange(MmLayout.FAR, last, marker);
        tree.storeRange(MmLayout.FAR, last, null);
      }
      long mapBytes = 0;
      long unmapBytes = 0;
      long treeBytes = 0;
      for (int i = 0; i < CYCLES; i++) {
        long t0 = mx.getThreadAllocatedBytes(tid);
        mm.mmap(MmLayout.FAR, MmLayout.FAR_LENGTH, MmLayout.FLAGS);
        long t1 = mx.getThreadAllocatedBytes(tid);
        mm.munmap(MmLayout.FAR, MmLayout.FAR_LENGTH);
        long t2 = mx.getThreadAllocatedBytes(tid);
        tree.storeRange(MmLayout.FAR, last, marker);
        tree.storeRange(MmLayout.FAR, last, null);
        long t3 = mx.getThreadAllocatedBytes(tid);
        mapBytes += t1 - t0;
        unmapBytes += t2 - t1;
        treeBytes += t3 - t2;
      }
      if (mm.mapCount() != n || tree.load(MmLayout.FAR) != null) {
        throw new IllegalStateException("the cycles did not leave the layouts as they found them");
      }
      double map = (double) mapBytes / CYCLES;
      double unmap = (double) unmapBytes / CYCLES;
      double treeShare = (double) treeBytes / CYCLES;
      System.out.printf(
          Locale.ROOT,
          "| %,d | %d | %,d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
          n,
          height,
          live / 1024,
          live / n,
          map,
          unmap,
          map + unmap,
          treeShare,
          map + unmap - treeShare,
          (map + unmap) / height);
    }
  }

  /**
   * The heap in use after two full collections: with the built mm reachable, the difference across
   * its construction is its live size (the VMAs, the tree, the mm), give or take a few KB.
   */
  private static long liveHeap() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    memory.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
