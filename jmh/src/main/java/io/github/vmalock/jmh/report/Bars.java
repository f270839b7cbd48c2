package io.github.vmalock.jmh.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The project's performance bars for the mm benchmarks, each computed from the rows of one run: the
 * measured ratio, the target, and whether it was met. A bar whose rows are missing from the run is
 * reported as not measured, never guessed.
 */
final class Bars {

  /** The VMA count the single-thread bars are stated at. */
  static final String BAR_SIZE = "4096";

  /** Allocation at or below this many B/op counts as none (the gc profiler's resolution). */
  static final double ZERO_BYTES = 0.1;

  /**
   * One bar.
   *
   * @param name what is compared
   * @param measured the measured value (NaN when not measured)
   * @param bytes whether {@code measured} is B/op rather than a ratio
   * @param target the target, as text ({@code <= 0.5x})
   * @param met whether the target was met (null when not measured)
   * @param detail the numbers the value comes from
   */
  record Bar(
      String name, double measured, boolean bytes, String target, Boolean met, String detail) {
    Bar(String name, double measured, String target, Boolean met, String detail) {
      this(name, measured, false, target, met, detail);
    }

    String measuredText() {
      if (Double.isNaN(measured)) {
        return "not measured";
      }
      return String.format(Locale.ROOT, bytes ? "%.3f B/op" : "%.2fx", measured);
    }

    String resultText() {
      return met == null ? "not measured in this run" : met ? "met" : "**missed**";
    }
  }

  private final List<JmhResult> results;

  Bars(List<JmhResult> results) {
    this.results = results;
  }

  /** The first row of {@code benchmark} whose parameters include every given pair. */
  Optional<JmhResult> find(String benchmark, String... keyValues) {
    Map<String, String> want = pairs(keyValues);
    return results.stream().filter(r -> r.matches(benchmark, want)).findFirst();
  }

  /** Every row of {@code benchmark} whose parameters include every given pair. */
  List<JmhResult> all(String benchmark, String... keyValues) {
    Map<String, String> want = pairs(keyValues);
    return results.stream().filter(r -> r.matches(benchmark, want)).toList();
  }

  private static Map<String, String> pairs(String... keyValues) {
    if (keyValues.length % 2 != 0) {
      throw new IllegalArgumentException("parameters come in key, value pairs");
    }
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  /** The fast path's lookup row at a size (no gaps). */
  Optional<JmhResult> lookup(String impl, String size) {
    return find("VmaLookupBench.lookup", "impl", impl, "size", size, "gapPct", "0");
  }

  /** Every bar, in the order of the project's list. */
  List<Bar> compute() {
    List<Bar> bars = new ArrayList<>();
    Optional<JmhResult> perVma = lookup("PER_VMA", BAR_SIZE);
    bars.add(
        timeRatio(
            "lockVmaUnderRcu+endRead vs CSLM (floorEntry + refcount pair), 4096 VMAs, 1 thread",
            perVma,
            lookup("CSLM", BAR_SIZE),
            0.5,
            true));
    bars.add(
        timeRatio(
            "lockVmaUnderRcu+endRead vs bare MapleTree.load of the same addresses, 4096 VMAs",
            perVma,
            lookup("MAPLE_LOAD", BAR_SIZE),
            1.3,
            true));
    bars.add(zeroAlloc("PER_VMA"));
    bars.add(zeroAlloc("PER_VMA_UNLOCKED"));
    bars.add(
        timeRatio(
            "fast path at 65,536 VMAs vs at 4,096 VMAs",
            lookup("PER_VMA", "65536"),
            perVma,
            2.5,
            true));
    // Where that growth comes from (WorkingSetBench): the same 4,096 VMAs visited, in a tree of
    // 65,536 VMAs against one of 4,096. The working set is the same; the tree is one level taller.
    bars.add(
        timeRatio(
            "the same, the algorithm's share: 4,096 VMAs visited in a 65,536-VMA mm vs in a"
                + " 4,096-VMA mm (WorkingSetBench LARGE_HOT_RUN / SMALL)",
            find("WorkingSetBench.lookup", "impl", "PER_VMA", "layout", "LARGE_HOT_RUN"),
            find("WorkingSetBench.lookup", "impl", "PER_VMA", "layout", "SMALL"),
            2.5,
            true));
    bars.add(scaling("PER_VMA", 1.4, false));
    bars.add(scaling("MMAP_LOCK_ONLY", 1.0, true));
    Optional<JmhResult> fastUnder = find("UnderWriterBench.underWriter:reader", "impl", "PER_VMA");
    Optional<JmhResult> lockUnder =
        find("UnderWriterBench.underWriter:reader", "impl", "MMAP_LOCK_ONLY");
    bars.add(
        rateRatio(
            "under a far-away writer: fast-path reader vs MMAP_LOCK_ONLY reader (ops/s)",
            fastUnder,
            lockUnder,
            5.0));
    Optional<JmhResult> alone = fastUnder.flatMap(r -> lookup("PER_VMA", r.params().get("size")));
    bars.add(
        rateRatio(
            "under a far-away writer: fast-path reader vs itself without the writer (ops/s)",
            fastUnder,
            alone,
            0.7));
    // The same bar within one benchmark class and fork configuration: the diagnostic's reader
    // beside the real writer against the same reader alone (UnderWriterCauseBench).
    bars.add(
        rateRatio(
            "the same, within one fork configuration (UnderWriterCauseBench reader beside WRITER"
                + " vs alone)",
            find("UnderWriterCauseBench.beside:reader", "neighbour", "WRITER"),
            find("UnderWriterCauseBench.alone"),
            0.7));
    bars.add(allocGrowth());
    return bars;
  }

  /** {@code a.ns / b.ns}, met when at most (or, if {@code !atMost}, at least) {@code target}. */
  private static Bar timeRatio(
      String name, Optional<JmhResult> a, Optional<JmhResult> b, double target, boolean atMost) {
    String targetText = (atMost ? "<= " : ">= ") + target + "x";
    if (a.isEmpty() || b.isEmpty()) {
      return new Bar(name, Double.NaN, targetText, null, "");
    }
    double ratio = a.get().nsPerOp() / b.get().nsPerOp();
    return new Bar(
        name,
        ratio,
        targetText,
        atMost ? ratio <= target : ratio >= target,
        ns(a.get()) + " / " + ns(b.get()));
  }

  /** {@code a.ops / b.ops}, met when at least {@code target}. */
  private static Bar rateRatio(
      String name, Optional<JmhResult> a, Optional<JmhResult> b, double target) {
    String targetText = ">= " + target + "x";
    if (a.isEmpty() || b.isEmpty()) {
      return new Bar(name, Double.NaN, targetText, null, "");
    }
    double ratio = a.get().opsPerSec() / b.get().opsPerSec();
    return new Bar(name, ratio, targetText, ratio >= target, ops(a.get()) + " / " + ops(b.get()));
  }

  private Bar zeroAlloc(String impl) {
    String name =
        (impl.equals("PER_VMA") ? "lockVmaUnderRcu" : "vmaStartReadUnlocked")
            + "+endRead allocation, every size and gap mix (max B/op)";
    String target = "0 B/op (<= " + ZERO_BYTES + ")";
    List<JmhResult> rows = all("VmaLookupBench.lookup", "impl", impl);
    double max = Double.NaN;
    for (JmhResult r : rows) {
      if (!Double.isNaN(r.bytesPerOp())) {
        max = Double.isNaN(max) ? r.bytesPerOp() : Math.max(max, r.bytesPerOp());
      }
    }
    if (Double.isNaN(max)) {
      return new Bar(name, Double.NaN, target, null, "run without -prof gc");
    }
    return new Bar(name, max, true, target, max <= ZERO_BYTES, rows.size() + " runs");
  }

  /**
   * Two threads' aggregate rate on different VMAs over one thread's rate. The fast path must reach
   * {@code target}; for {@code MMAP_LOCK_ONLY} the bar is that it falls (below 1.0x).
   */
  private Bar scaling(String impl, double target, boolean falls) {
    String name =
        impl
            + ": 2 reader threads on different VMAs, aggregate ops/s vs 1 thread"
            + (falls ? " (shown falling)" : "");
    Optional<JmhResult> one = find("SameVmaSharingBench.oneThread", "impl", impl);
    Optional<JmhResult> two =
        find("SameVmaSharingBench.twoThreads", "impl", impl, "sharing", "DIFFERENT_VMAS");
    String targetText = (falls ? "< " : ">= ") + target + "x";
    if (one.isEmpty() || two.isEmpty()) {
      return new Bar(name, Double.NaN, targetText, null, "");
    }
    double ratio = two.get().opsPerSec() / one.get().opsPerSec();
    return new Bar(
        name,
        ratio,
        targetText,
        falls ? ratio < target : ratio >= target,
        ops(two.get()) + " / " + ops(one.get()));
  }

  /**
   * Allocation of an {@code mmap}+{@code munmap} cycle at 65,536 VMAs over 64: at most the ratio of
   * the tree heights' bound, {@code log2(65536) / log2(64)}.
   */
  private Bar allocGrowth() {
    double bound = Math.log(65536) / Math.log(64);
    String name = "mmap+munmap cycle allocation, 65,536 vs 64 VMAs (O(log n))";
    String target = String.format(Locale.ROOT, "<= %.2fx (log 65536 / log 64)", bound);
    Optional<JmhResult> small = find("WriterCostBench.mmapMunmapCycle", "size", "64");
    Optional<JmhResult> large = find("WriterCostBench.mmapMunmapCycle", "size", "65536");
    if (small.isEmpty()
        || large.isEmpty()
        || Double.isNaN(small.get().bytesPerOp())
        || Double.isNaN(large.get().bytesPerOp())) {
      return new Bar(name, Double.NaN, target, null, "");
    }
    double ratio = large.get().bytesPerOp() / small.get().bytesPerOp();
    return new Bar(
        name,
        ratio,
        target,
        ratio <= bound,
        String.format(
            Locale.ROOT,
            "%.0f B/op / %.0f B/op",
            large.get().bytesPerOp(),
            small.get().bytesPerOp()));
  }

  static String ns(JmhResult r) {
    return Format.ns(r.nsPerOp()) + " ns/op" + forks(r);
  }

  static String ops(JmhResult r) {
    return Format.rate(r.opsPerSec()) + " ops/s" + forks(r);
  }

  private static String forks(JmhResult r) {
    return r.forks() > 1 ? " (" + r.forks() + " forks)" : "";
  }
}
