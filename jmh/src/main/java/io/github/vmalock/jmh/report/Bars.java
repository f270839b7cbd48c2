package io.github.vmalock.jmh.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The project's performance bars for the mm benchmarks, each computed from the rows of one run: the
 * measured ratio, the target, and whether it was met. A bar whose rows are missing from the run is
 * reported as not measured, never guessed.
 *
 * <p>The targets are data, not code: the resource {@code bars.tsv} beside this class gives each
 * bar's comparison, target and source (the table in {@code docs/benchmarks.md#the-bars}); this
 * class only says which rows each bar's value is measured from.
 */
final class Bars {

  /** The resource holding the targets. */
  static final String TARGETS_RESOURCE = "bars.tsv";

  /**
   * One bar's target, as {@code bars.tsv} states it.
   *
   * @param id the bar's key in the file
   * @param comparison {@code <=}, {@code >=} or {@code <}
   * @param value the target
   * @param source where the target is stated
   */
  record Target(String id, String comparison, double value, String source) {
    Target {
      if (!comparison.equals("<=") && !comparison.equals(">=") && !comparison.equals("<")) {
        throw new IllegalArgumentException("bar " + id + ": unknown comparison " + comparison);
      }
    }

    /** Whether {@code measured} meets this target. */
    boolean met(double measured) {
      return switch (comparison) {
        case "<=" -> measured <= value;
        case ">=" -> measured >= value;
        default -> measured < value;
      };
    }

    /** The target as a ratio, {@code <= 0.5x}. */
    String ratioText() {
      return comparison + " " + Format.ratioTarget(value) + "x";
    }
  }

  /** The targets of {@code bars.tsv}, by id, in the file's order. */
  static final Map<String, Target> TARGETS = loadTargets();

  private static Map<String, Target> loadTargets() {
    try (InputStream in = Bars.class.getResourceAsStream(TARGETS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + TARGETS_RESOURCE + " beside Bars");
      }
      return parseTargets(
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses the lines of {@code bars.tsv}: {@code #} comments and blank lines are skipped. */
  static Map<String, Target> parseTargets(List<String> lines) {
    Map<String, Target> targets = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 4) {
        throw new IllegalArgumentException(
            TARGETS_RESOURCE + ": not 4 tab-separated fields: " + line);
      }
      Target t = new Target(f[0], f[1], Double.parseDouble(f[2]), f[3]);
      if (targets.put(t.id(), t) != null) {
        throw new IllegalArgumentException(TARGETS_RESOURCE + ": bar listed twice: " + t.id());
      }
    }
    return targets;
  }

  /** The target of bar {@code id}. */
  static Target target(String id) {
    Target t = TARGETS.get(id);
    if (t == null) {
      throw new IllegalStateException(TARGETS_RESOURCE + " has no bar " + id);
    }
    return t;
  }

  /** The VMA count the single-thread bars are stated at. */
  static final String BAR_SIZE = "4096";

  /**
   * One bar.
   *
   * @param name what is compared
   * @param measured the measured value (NaN when not measured)
   * @param bytes whether {@code measured} is B/op rather than a ratio
   * @param target the target, as text ({@code <= 0.5x})
   * @param met whether the target was met (null when not measured)
   * @param detail the numbers the value comes from
   * @param source where the target is stated
   */
  record Bar(
      String name,
      double measured,
      boolean bytes,
      String target,
      Boolean met,
      String detail,
      String source) {
    Bar(String name, double measured, Target target, Boolean met, String detail) {
      this(name, measured, false, target.ratioText(), met, detail, target.source());
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
            target("lookup-vs-cslm")));
    bars.add(
        timeRatio(
            "lockVmaUnderRcu+endRead vs bare MapleTree.load of the same addresses, 4096 VMAs",
            perVma,
            lookup("MAPLE_LOAD", BAR_SIZE),
            target("lookup-vs-maple-load")));
    bars.add(zeroAlloc("PER_VMA", target("zero-alloc-per-vma")));
    bars.add(zeroAlloc("PER_VMA_UNLOCKED", target("zero-alloc-per-vma-unlocked")));
    bars.add(
        timeRatio(
            "fast path at 65,536 VMAs vs at 4,096 VMAs",
            lookup("PER_VMA", "65536"),
            perVma,
            target("size-65536-vs-4096")));
    // Where that growth comes from (WorkingSetBench): the same 4,096 VMAs visited, in a tree of
    // 65,536 VMAs against one of 4,096. The working set is the same; the tree is one level taller.
    bars.add(
        timeRatio(
            "the same, the algorithm's share: 4,096 VMAs visited in a 65,536-VMA mm vs in a"
                + " 4,096-VMA mm (WorkingSetBench LARGE_HOT_RUN / SMALL)",
            find("WorkingSetBench.lookup", "impl", "PER_VMA", "layout", "LARGE_HOT_RUN"),
            find("WorkingSetBench.lookup", "impl", "PER_VMA", "layout", "SMALL"),
            target("size-working-set")));
    bars.add(scaling("PER_VMA", target("scaling-per-vma"), false));
    bars.add(scaling("MMAP_LOCK_ONLY", target("scaling-mmap-lock-only"), true));
    Optional<JmhResult> fastUnder = find("UnderWriterBench.underWriter:reader", "impl", "PER_VMA");
    Optional<JmhResult> lockUnder =
        find("UnderWriterBench.underWriter:reader", "impl", "MMAP_LOCK_ONLY");
    bars.add(
        rateRatio(
            "under a far-away writer: fast-path reader vs MMAP_LOCK_ONLY reader (ops/s)",
            fastUnder,
            lockUnder,
            target("under-writer-vs-mmap-lock")));
    Optional<JmhResult> alone = fastUnder.flatMap(r -> lookup("PER_VMA", r.params().get("size")));
    bars.add(
        rateRatio(
            "under a far-away writer: fast-path reader vs itself without the writer (ops/s)",
            fastUnder,
            alone,
            target("under-writer-vs-alone")));
    // The same bar within one benchmark class and fork configuration: the diagnostic's reader
    // beside the real writer against the same reader alone (UnderWriterCauseBench).
    bars.add(
        rateRatio(
            "the same, within one fork configuration (UnderWriterCauseBench reader beside WRITER"
                + " vs alone)",
            find("UnderWriterCauseBench.beside:reader", "neighbour", "WRITER"),
            find("UnderWriterCauseBench.alone"),
            target("under-writer-vs-alone-one-fork-config")));
    bars.add(allocGrowth(target("mmap-munmap-alloc-growth")));
    return bars;
  }

  /** {@code a.ns / b.ns} against {@code target}. */
  private static Bar timeRatio(
      String name, Optional<JmhResult> a, Optional<JmhResult> b, Target target) {
    if (a.isEmpty() || b.isEmpty()) {
      return new Bar(name, Double.NaN, target, null, "");
    }
    double ratio = a.get().nsPerOp() / b.get().nsPerOp();
    return new Bar(name, ratio, target, target.met(ratio), ns(a.get()) + " / " + ns(b.get()));
  }

  /** {@code a.ops / b.ops} against {@code target}. */
  private static Bar rateRatio(
      String name, Optional<JmhResult> a, Optional<JmhResult> b, Target target) {
    if (a.isEmpty() || b.isEmpty()) {
      return new Bar(name, Double.NaN, target, null, "");
    }
    double ratio = a.get().opsPerSec() / b.get().opsPerSec();
    return new Bar(name, ratio, target, target.met(ratio), ops(a.get()) + " / " + ops(b.get()));
  }

  /**
   * The largest B/op of {@code impl}'s lookups; at or below the target counts as none (the gc
   * profiler's resolution).
   */
  private Bar zeroAlloc(String impl, Target target) {
    String name =
        (impl.equals("PER_VMA") ? "lockVmaUnderRcu" : "vmaStartReadUnlocked")
            + "+endRead allocation, every size and gap mix (max B/op)";
    String targetText =
        "0 B/op (" + target.comparison() + " " + Format.ratioTarget(target.value()) + ")";
    List<JmhResult> rows = all("VmaLookupBench.lookup", "impl", impl);
    double max = Double.NaN;
    for (JmhResult r : rows) {
      if (!Double.isNaN(r.bytesPerOp())) {
        max = Double.isNaN(max) ? r.bytesPerOp() : Math.max(max, r.bytesPerOp());
      }
    }
    if (Double.isNaN(max)) {
      return new Bar(
          name, Double.NaN, true, targetText, null, "run without -prof gc", target.source());
    }
    return new Bar(
        name, max, true, targetText, target.met(max), rows.size() + " runs", target.source());
  }

  /**
   * Two threads' aggregate rate on different VMAs over one thread's rate, against {@code target};
   * for {@code MMAP_LOCK_ONLY} ({@code falls}) the bar is that it falls.
   */
  private Bar scaling(String impl, Target target, boolean falls) {
    String name =
        impl
            + ": 2 reader threads on different VMAs, aggregate ops/s vs 1 thread"
            + (falls ? " (shown falling)" : "");
    Optional<JmhResult> one = find("SameVmaSharingBench.oneThread", "impl", impl);
    Optional<JmhResult> two =
        find("SameVmaSharingBench.twoThreads", "impl", impl, "sharing", "DIFFERENT_VMAS");
    if (one.isEmpty() || two.isEmpty()) {
      return new Bar(name, Double.NaN, target, null, "");
    }
    double ratio = two.get().opsPerSec() / one.get().opsPerSec();
    return new Bar(name, ratio, target, target.met(ratio), ops(two.get()) + " / " + ops(one.get()));
  }

  /**
   * Allocation of an {@code mmap}+{@code munmap} cycle at 65,536 VMAs over 64, against {@code
   * target}: the ratio of the tree heights' bound, {@code log2(65536) / log2(64)}.
   */
  private Bar allocGrowth(Target target) {
    String name = "mmap+munmap cycle allocation, 65,536 vs 64 VMAs (O(log n))";
    String targetText = target.ratioText() + " (log 65536 / log 64)";
    Optional<JmhResult> small = find("WriterCostBench.mmapMunmapCycle", "size", "64");
    Optional<JmhResult> large = find("WriterCostBench.mmapMunmapCycle", "size", "65536");
    if (small.isEmpty()
        || large.isEmpty()
        || Double.isNaN(small.get().bytesPerOp())
        || Double.isNaN(large.get().bytesPerOp())) {
      return new Bar(name, Double.NaN, false, targetText, null, "", target.source());
    }
    double ratio = large.get().bytesPerOp() / small.get().bytesPerOp();
    return new Bar(
        name,
        ratio,
        false,
        targetText,
        target.met(ratio),
        String.format(
            Locale.ROOT,
            "%.0f B/op / %.0f B/op",
            large.get().bytesPerOp(),
            small.get().bytesPerOp()),
        target.source());
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
