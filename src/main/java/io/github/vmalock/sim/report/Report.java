package io.github.vmalock.sim.report;

import io.github.vmalock.mm.VmaLockStats;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.SeedV2Replay;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.callers.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formats run results: an aligned text table for people, JSON for tools. */
public final class Report {
  private Report() {}

  private static final String[] CALLER_HEAD = {
    "world",
    "caller",
    "ops",
    "ops/s",
    "fast%",
    "fallback",
    "skipped",
    "no-vma",
    "refused",
    "retries",
    "p50 us",
    "p99 us",
    "p99.9 us",
    "max us"
  };

  private static final String[] WORLD_HEAD = {
    "world",
    "VMA_LOCK success",
    "abort",
    "retry",
    "miss",
    "writer ops/s",
    "writer wait ms",
    "VMAs",
    "violations",
    "leaked locks"
  };

  /**
   * The text report of one or more runs: a per-caller table, a per-world table, and the first
   * violation and leak messages if any.
   *
   * @param results the runs, typically one per world
   * @return the report, lines separated by {@code \n}
   */
  public static String table(List<RunResult> results) {
    List<String[]> rows = new ArrayList<>();
    rows.add(CALLER_HEAD);
    for (RunResult r : results) {
      for (CallerResult c : r.callers()) {
        rows.add(callerRow(r, c));
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(align(rows));
    sb.append('\n');
    List<String[]> worlds = new ArrayList<>();
    worlds.add(WORLD_HEAD);
    for (RunResult r : results) {
      VmaLockStats s = r.lockStats();
      worlds.add(
          new String[] {
            r.workload().world().label(),
            Long.toString(s.success()),
            Long.toString(s.abort()),
            Long.toString(s.retry()),
            Long.toString(s.miss()),
            fmt0(r.writerOpsPerSecond()),
            fmt1(r.writerWaitMillis()),
            Integer.toString(r.mapCount()),
            Long.toString(r.violations()),
            Long.toString(r.leaks())
          });
    }
    sb.append(align(worlds));
    for (RunResult r : results) {
      for (String v : r.violationSamples()) {
        sb.append('\n')
            .append("VIOLATION [")
            .append(r.workload().world().label())
            .append("] ")
            .append(v);
      }
      for (String v : r.leakSamples()) {
        sb.append('\n')
            .append("LEAK [")
            .append(r.workload().world().label())
            .append("] ")
            .append(v);
      }
    }
    return sb.toString();
  }

  private static String[] callerRow(RunResult r, CallerResult c) {
    double fast = c.fastPathRate();
    return new String[] {
      r.workload().world().label(),
      c.kind().label(),
      Long.toString(c.ops()),
      fmt0(c.opsPerSecond(r.elapsedNanos())),
      c.kind().isWriter() || Double.isNaN(fast) ? "-" : fmt1(100 * fast),
      c.kind().isWriter() ? "-" : Long.toString(c.count(Outcome.MMAP_LOCKED)),
      c.kind().isWriter() ? "-" : Long.toString(c.count(Outcome.SKIPPED)),
      c.kind().isWriter() ? "-" : Long.toString(c.count(Outcome.NO_VMA)),
      Long.toString(c.count(Outcome.REFUSED) + c.count(Outcome.WRITE_ENOMEM)),
      Long.toString(c.retries()),
      fmt1(c.latencyMicros(50)),
      fmt1(c.latencyMicros(99)),
      fmt1(c.latencyMicros(99.9)),
      fmt1(c.latency().totalCount() == 0 ? 0 : c.latency().max() / 1000.0)
    };
  }

  /**
   * Aligns rows into columns: the first column left-aligned, the others right-aligned, a rule under
   * the header row.
   *
   * @param rows the header row first
   * @return the aligned text
   */
  public static String align(List<String[]> rows) {
    int cols = 0;
    for (String[] r : rows) {
      cols = Math.max(cols, r.length);
    }
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int ri = 0; ri < rows.size(); ri++) {
      String[] r = rows.get(ri);
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(w[i] - r[i].length());
        line.append(i <= 1 ? r[i] + pad : pad + r[i]);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
      if (ri == 0) {
        int total = 0;
        for (int x : w) {
          total += x;
        }
        sb.append("-".repeat(total + 2 * (cols - 1))).append('\n');
      }
    }
    return sb.toString();
  }

  static String fmt0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  static String fmt1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /**
   * The runs as a JSON document: {@code {"runs": [...]}} with each run's settings, per-caller
   * counts, rates and latency percentiles (microseconds), the {@code VMA_LOCK_*} counters, and the
   * violations and leaks.
   *
   * @param results the runs
   * @return the JSON text
   */
  public static String json(List<RunResult> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n  \"runs\": [");
    for (int i = 0; i < results.size(); i++) {
      RunResult r = results.get(i);
      Workload w = r.workload();
      sb.append(i == 0 ? "\n" : ",\n").append("    {\n");
      sb.append("      \"world\": ").append(str(w.world().label())).append(",\n");
      sb.append("      \"shape\": ").append(str(w.world().shape().name())).append(",\n");
      sb.append("      \"lockMode\": ").append(str(w.world().lockMode().name())).append(",\n");
      sb.append("      \"variant\": ").append(str(w.variant().name())).append(",\n");
      sb.append("      \"threads\": ").append(w.threads()).append(",\n");
      sb.append("      \"writers\": ").append(w.writers()).append(",\n");
      sb.append("      \"opsPerThread\": ").append(w.opsPerThread()).append(",\n");
      sb.append("      \"durationMillis\": ")
          .append(w.timed() ? w.duration().toMillis() : 0)
          .append(",\n");
      sb.append("      \"seed\": ").append(w.seed()).append(",\n");
      sb.append("      \"vmas\": ").append(w.vmas()).append(",\n");
      sb.append("      \"retryRate\": ").append(num(w.retryRate())).append(",\n");
      sb.append("      \"debug\": ").append(w.debug()).append(",\n");
      sb.append("      \"elapsedMillis\": ").append(num(r.elapsedNanos() / 1e6)).append(",\n");
      VmaLockStats s = r.lockStats();
      sb.append("      \"vmaLock\": {\"success\": ")
          .append(s.success())
          .append(", \"abort\": ")
          .append(s.abort())
          .append(", \"retry\": ")
          .append(s.retry())
          .append(", \"miss\": ")
          .append(s.miss())
          .append("},\n");
      sb.append("      \"writerOpsPerSecond\": ").append(num(r.writerOpsPerSecond())).append(",\n");
      sb.append("      \"writerWaitMillis\": ").append(num(r.writerWaitMillis())).append(",\n");
      sb.append("      \"mapCount\": ").append(r.mapCount()).append(",\n");
      sb.append("      \"violations\": ").append(r.violations()).append(",\n");
      sb.append("      \"violationSamples\": ").append(strings(r.violationSamples())).append(",\n");
      sb.append("      \"leakedLocks\": ").append(r.leaks()).append(",\n");
      sb.append("      \"leakSamples\": ").append(strings(r.leakSamples())).append(",\n");
      sb.append("      \"callers\": [");
      for (int j = 0; j < r.callers().size(); j++) {
        CallerResult c = r.callers().get(j);
        sb.append(j == 0 ? "\n" : ",\n").append("        {");
        sb.append("\"caller\": ").append(str(c.kind().label()));
        sb.append(", \"ops\": ").append(c.ops());
        sb.append(", \"opsPerSecond\": ").append(num(c.opsPerSecond(r.elapsedNanos())));
        double fast = c.fastPathRate();
        sb.append(", \"fastPathRate\": ").append(Double.isNaN(fast) ? "null" : num(fast));
        sb.append(", \"retries\": ").append(c.retries());
        sb.append(", \"outcomes\": {");
        boolean first = true;
        for (Outcome o : Outcome.values()) {
          if (c.count(o) == 0) {
            continue;
          }
          sb.append(first ? "" : ", ").append(str(o.name())).append(": ").append(c.count(o));
          first = false;
        }
        sb.append("}");
        sb.append(", \"latencyMicros\": {\"p50\": ")
            .append(num(c.latencyMicros(50)))
            .append(", \"p90\": ")
            .append(num(c.latencyMicros(90)))
            .append(", \"p99\": ")
            .append(num(c.latencyMicros(99)))
            .append(", \"p99.9\": ")
            .append(num(c.latencyMicros(99.9)))
            .append(", \"max\": ")
            .append(num(c.latency().totalCount() == 0 ? 0 : c.latency().max() / 1000.0))
            .append("}}");
      }
      sb.append("\n      ]\n    }");
    }
    sb.append("\n  ]\n}\n");
    return sb.toString();
  }

  private static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "null";
    }
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String strings(List<String> l) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(str(l.get(i)));
    }
    return sb.append(']').toString();
  }

  /**
   * A JSON string literal.
   *
   * @param s the text
   * @return the quoted, escaped literal
   */
  public static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /**
   * The replay's table.
   *
   * @param r the replay result
   * @return the aligned table, the notes, and the overall verdict
   */
  public static String replayTable(SeedV2Replay.Result r) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"defect", "shape", "observed", "verdict"});
    for (SeedV2Replay.Case c : r.cases()) {
      rows.add(new String[] {c.defect(), c.shape(), c.observed(), c.verdict()});
    }
    StringBuilder sb = new StringBuilder(alignLeft(rows));
    for (String n : r.notes()) {
      sb.append("note: ").append(n).append('\n');
    }
    sb.append(
        r.allAsExpected()
            ? "every v2 shape caught, every corrected shape passed\n"
            : "NOT as expected: see the MISSED/FAIL rows\n");
    return sb.toString();
  }

  private static String alignLeft(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] w = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int ri = 0; ri < rows.size(); ri++) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        line.append(i == 0 ? "" : "  ")
            .append(rows.get(ri)[i])
            .append(" ".repeat(w[i] - rows.get(ri)[i].length()));
      }
      sb.append(line.toString().stripTrailing()).append('\n');
      if (ri == 0) {
        int total = 2 * (cols - 1);
        for (int x : w) {
          total += x;
        }
        sb.append("-".repeat(total)).append('\n');
      }
    }
    return sb.toString();
  }
}
