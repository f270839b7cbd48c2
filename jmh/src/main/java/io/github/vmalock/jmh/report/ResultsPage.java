package io.github.vmalock.jmh.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Writes the results page ({@code RESULTS.md}) and its chart (PNG) from one JMH JSON result file: a
 * table of every benchmark (ns/op, ops/s, B/op), the ratios of the per-VMA fast path against its
 * baselines, the project's bars met or missed, and the machine the numbers come from.
 *
 * <p>Usage: {@code java -Djava.awt.headless=true -cp benchmarks.jar
 * io.github.vmalock.jmh.report.ResultsPage --json results.json --md RESULTS.md --png results.png
 * [--note TEXT] [--notes FILE] [--command TEXT]}. {@code --note} is a line about the run (for
 * example the load on the machine); {@code --notes} a Markdown file of analysis kept across runs
 * and copied into the page.
 */
public final class ResultsPage {
  private static final String[] IMPLS = {
    "PER_VMA", "PER_VMA_UNLOCKED", "MMAP_LOCK_ONLY", "CSLM", "STAMPED", "MAPLE_LOAD"
  };

  private ResultsPage() {}

  /**
   * Reads the JSON, writes the page and the chart.
   *
   * @param args see the class comment
   * @throws IOException when a file cannot be read or written
   */
  public static void main(String[] args) throws IOException {
    Path json = null;
    Path md = null;
    Path png = null;
    Path notes = null;
    String note = "";
    String command = "jmh/run-results.sh";
    // Every argument is a flag and its value: step over both.
    for (int i = 0; i < args.length; i += 2) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--json" -> json = Path.of(need(args[i], value));
        case "--md" -> md = Path.of(need(args[i], value));
        case "--png" -> png = Path.of(need(args[i], value));
        case "--notes" -> notes = Path.of(need(args[i], value));
        case "--note" -> note = need(args[i], value);
        case "--command" -> command = need(args[i], value);
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
      }
    }
    if (json == null || md == null || png == null) {
      throw new IllegalArgumentException("usage: --json FILE --md FILE --png FILE [--note TEXT]");
    }
    List<JmhResult> results = JmhResult.read(json);
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no results in " + json);
    }
    Bars bars = new Bars(results);
    String when = stamp(Files.getLastModifiedTime(json).toInstant());
    String cpu = cpuModel();
    int cores = Runtime.getRuntime().availableProcessors();
    new ResultsChart(bars)
        .write(
            png, "run of " + when + ", " + cpu + ", " + cores + " cores; JMH, " + forks(results));
    Optional<String> analysis =
        notes != null && Files.exists(notes)
            ? Optional.of(Files.readString(notes, StandardCharsets.UTF_8))
            : Optional.empty();
    String page =
        page(
            results,
            bars,
            JmhResult.runInfo(json),
            when,
            cpu,
            cores,
            note,
            command,
            relative(md, png),
            analysis);
    Files.writeString(md, page, StandardCharsets.UTF_8);
    System.out.println("wrote " + md + " and " + png + " from " + results.size() + " rows");
  }

  /** "one fork", or "one fork per point, N for some" when a second pass ran more. */
  static String forks(List<JmhResult> results) {
    int max = results.stream().mapToInt(JmhResult::forks).max().orElse(1);
    int min = results.stream().mapToInt(JmhResult::forks).min().orElse(1);
    if (max == min) {
      return max == 1 ? "one fork" : max + " forks";
    }
    return (min == 1 ? "one fork" : min + " forks")
        + " per point, "
        + max
        + " for some (see the table)";
  }

  private static String need(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }

  private static String relative(Path md, Path png) {
    Path dir = md.toAbsolutePath().getParent();
    return dir == null ? png.toString() : dir.relativize(png.toAbsolutePath()).toString();
  }

  /** The CPU model from {@code /proc/cpuinfo}, or {@code os.arch} where there is none. */
  static String cpuModel() {
    Path info = Path.of("/proc/cpuinfo");
    try {
      if (Files.isReadable(info)) {
        for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
          if (line.startsWith("model name")) {
            return line.substring(line.indexOf(':') + 1).trim();
          }
        }
      }
    } catch (IOException e) {
      // fall through to the architecture
    }
    return System.getProperty("os.arch");
  }

  static String page(
      List<JmhResult> results,
      Bars bars,
      Optional<JmhResult.RunInfo> run,
      String when,
      String cpu,
      int cores,
      String note,
      String command,
      String png,
      Optional<String> analysis) {
    StringBuilder sb = new StringBuilder();
    sb.append("# JMH results\n\n");
    sb.append("Generated from one JMH run (")
        .append(when)
        .append(") by `")
        .append(command)
        .append("`, which runs the suite with `-prof gc -rf json` and regenerates this page and ")
        .append("the chart; every ratio below comes from that one run. The numbers are ")
        .append("nanoseconds per operation as one thread sees it (JMH average time), operations ")
        .append("per second summed over the benchmark's threads, and bytes allocated per ")
        .append("operation (`gc.alloc.rate.norm`).\n\n");
    sb.append("## Machine\n\n");
    sb.append("| CPU | cores | JDK | VM | JMH | warmup | measurement |\n");
    sb.append("|---|---|---|---|---|---|---|\n");
    JmhResult.RunInfo info = run.orElse(new JmhResult.RunInfo("?", "?", "?", "[]", "?", "?"));
    sb.append("| ")
        .append(cpu)
        .append(" | ")
        .append(cores)
        .append(" | ")
        .append(info.jdk())
        .append(" | ")
        .append(info.vm())
        .append(" | ")
        .append(info.jmhVersion())
        .append(" | ")
        .append(info.warmup())
        .append(" | ")
        .append(info.measurement())
        .append(" |\n\n");
    sb.append("JVM arguments: `").append(info.jvmArgs()).append("`.\n\n");
    if (!note.isBlank()) {
      sb.append(note.strip()).append("\n\n");
    }
    sb.append("## Bars\n\n");
    List<Bars.Bar> computed = bars.compute();
    sb.append("The targets are read from `")
        .append(Bars.TARGETS_RESOURCE)
        .append("` (in `jmh/src/main/resources/io/github/vmalock/jmh/report/`), which cites ")
        .append(
            computed.stream()
                .map(b -> "`" + b.source() + "`")
                .distinct()
                .collect(Collectors.joining(", ")))
        .append(" for each.\n\n");
    sb.append("| bar | measured | target | result | from |\n|---|---|---|---|---|\n");
    for (Bars.Bar b : computed) {
      sb.append("| ")
          .append(b.name())
          .append(" | ")
          .append(b.measuredText())
          .append(" | ")
          .append(b.target())
          .append(" | ")
          .append(b.resultText())
          .append(" | ")
          .append(b.detail())
          .append(" |\n");
    }
    sb.append('\n');
    sb.append("## Chart\n\n![JMH results chart](").append(png).append(")\n\n");
    ratios(sb, bars);
    sb.append("## Every result\n\n");
    sb.append(
        "| benchmark | params | threads | forks | ns/op | ± (99.9%) | ops/s | B/op | other |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|\n");
    for (JmhResult r : results) {
      sb.append("| ")
          .append(r.name())
          .append(" | ")
          .append(r.paramString())
          .append(" | ")
          .append(r.threads())
          .append(" | ")
          .append(r.forks())
          .append(" | ")
          .append(Format.ns(r.nsPerOp()))
          .append(" | ")
          .append(Format.ns(r.nsError()))
          .append(" | ")
          .append(Format.rate(r.opsPerSec()))
          .append(" | ")
          .append(Format.bytes(r.bytesPerOp()))
          .append(" | ")
          .append(String.join(", ", extras(r)))
          .append(" |\n");
    }
    sb.append('\n');
    analysis.ifPresent(a -> sb.append(a.strip()).append('\n'));
    return sb.toString();
  }

  private static List<String> extras(JmhResult r) {
    List<String> out = new ArrayList<>();
    r.extras().forEach((k, v) -> out.add(k + " " + v));
    return out;
  }

  /** For each gap mix and size: every implementation's ns/op, and the fast path's ratio to it. */
  private static void ratios(StringBuilder sb, Bars bars) {
    sb.append("## The fast path against the baselines\n\n");
    sb.append("`VmaLookupBench.lookup`, one thread, no writer. Each cell: ns/op, and in ")
        .append("brackets `PER_VMA` (`lockVmaUnderRcu` + `endRead`) divided by that column ")
        .append("(below 1 means the fast path is faster).\n\n");
    for (String gap : new String[] {"0", "10"}) {
      if (bars.all("VmaLookupBench.lookup", "gapPct", gap).isEmpty()) {
        continue;
      }
      sb.append("Addresses in gaps: ").append(gap).append("%\n\n");
      sb.append("| VMAs |");
      for (String impl : IMPLS) {
        sb.append(' ').append(impl).append(" |");
      }
      sb.append("\n|---|");
      sb.append("---|".repeat(IMPLS.length));
      sb.append('\n');
      for (String size : new String[] {"64", "4096", "65536"}) {
        Optional<JmhResult> fast =
            bars.find("VmaLookupBench.lookup", "impl", "PER_VMA", "size", size, "gapPct", gap);
        sb.append("| ").append(size).append(" |");
        for (String impl : IMPLS) {
          Optional<JmhResult> r =
              bars.find("VmaLookupBench.lookup", "impl", impl, "size", size, "gapPct", gap);
          sb.append(' ');
          if (r.isPresent()) {
            sb.append(Format.ns(r.get().nsPerOp()));
            if (fast.isPresent() && !impl.equals("PER_VMA")) {
              sb.append(" (")
                  .append(Format.ratio(fast.get().nsPerOp() / r.get().nsPerOp()))
                  .append(')');
            }
          }
          sb.append(" |");
        }
        sb.append('\n');
      }
      sb.append('\n');
    }
    Optional<JmhResult> vol = bars.find("VmaLookupBench.floorVolatileRead");
    Optional<JmhResult> cas = bars.find("VmaLookupBench.floorCas");
    if (vol.isPresent() || cas.isPresent()) {
      sb.append("Floors: ");
      vol.ifPresent(r -> sb.append("a volatile read ").append(Bars.ns(r)));
      if (vol.isPresent() && cas.isPresent()) {
        sb.append(", ");
      }
      cas.ifPresent(r -> sb.append("an uncontended CAS ").append(Bars.ns(r)));
      sb.append(".\n\n");
    }
    Optional<JmhResult> same =
        bars.find("SameVmaSharingBench.twoThreads", "impl", "PER_VMA", "sharing", "SAME_VMA");
    Optional<JmhResult> diff =
        bars.find("SameVmaSharingBench.twoThreads", "impl", "PER_VMA", "sharing", "DIFFERENT_VMAS");
    if (same.isPresent() && diff.isPresent()) {
      sb.append("Two fast-path readers on the same VMA reach ")
          .append(Format.ratio(same.get().opsPerSec() / diff.get().opsPerSec()))
          .append(" of the aggregate rate of two on different VMAs (the shared `vm_refcnt` ")
          .append("line).\n\n");
    }
  }

  /** The run's time stamp: when JMH finished writing the JSON, in UTC. */
  static String stamp(Instant t) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
        .format(t.atZone(ZoneOffset.UTC));
  }
}
