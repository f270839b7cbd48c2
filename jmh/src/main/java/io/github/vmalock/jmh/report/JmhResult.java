package io.github.vmalock.jmh.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One row of a JMH JSON result file ({@code -rf json}), reduced to what the results page needs,
 * with its score converted to a per-thread time per operation and an aggregate rate.
 *
 * <p>A {@code @Group} benchmark yields one row for the group and one per labelled method ({@code
 * name} is then {@code Class.group:label}), the group's threads split evenly among the labels; the
 * auxiliary counters and the allocation stay on the group's row.
 *
 * @param name the short benchmark name, {@code Class.method} (or {@code Class.group:label})
 * @param mode JMH's mode ({@code avgt}, {@code thrpt}, {@code sample}, {@code ss})
 * @param threads the threads running this row's method
 * @param forks the forks (JVMs) the score is averaged over
 * @param params the benchmark parameters, sorted by name
 * @param nsPerOp the time one thread spends per operation, in nanoseconds
 * @param nsError the 99.9% error of {@code nsPerOp} (NaN when JMH gave none)
 * @param opsPerSec the aggregate rate of all of this row's threads, operations per second
 * @param bytesPerOp {@code gc.alloc.rate.norm} in B/op, or NaN without {@code -prof gc}
 * @param extras other secondary metrics (auxiliary counters), label to "score unit"
 */
public record JmhResult(
    String name,
    String mode,
    int threads,
    int forks,
    Map<String, String> params,
    double nsPerOp,
    double nsError,
    double opsPerSec,
    double bytesPerOp,
    Map<String, String> extras) {

  /** The machine and JVM of a run, from the first row of the file. */
  public record RunInfo(
      String jdk,
      String vm,
      String jmhVersion,
      String jvmArgs,
      String warmup,
      String measurement) {}

  /** Reads every row of a JMH JSON file. */
  public static List<JmhResult> read(Path json) throws IOException {
    try (Reader in = Files.newBufferedReader(json, StandardCharsets.UTF_8)) {
      JsonArray rows = JsonParser.parseReader(in).getAsJsonArray();
      List<JmhResult> out = new ArrayList<>();
      for (JsonElement row : rows) {
        parse(row.getAsJsonObject(), out);
      }
      return out;
    }
  }

  /** The run's JVM and settings, from the first row of the file (empty for an empty file). */
  public static Optional<RunInfo> runInfo(Path json) throws IOException {
    try (Reader in = Files.newBufferedReader(json, StandardCharsets.UTF_8)) {
      JsonArray rows = JsonParser.parseReader(in).getAsJsonArray();
      if (rows.isEmpty()) {
        return Optional.empty();
      }
      JsonObject r = rows.get(0).getAsJsonObject();
      return Optional.of(
          new RunInfo(
              str(r, "jdkVersion"),
              str(r, "vmName") + " " + str(r, "vmVersion"),
              str(r, "jmhVersion"),
              r.has("jvmArgs") ? r.get("jvmArgs").toString() : "[]",
              str(r, "warmupIterations") + " x " + str(r, "warmupTime"),
              str(r, "measurementIterations")
                  + " x "
                  + str(r, "measurementTime")
                  + ", "
                  + str(r, "forks")
                  + " fork(s)"));
    }
  }

  private static String str(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? "?" : e.getAsString();
  }

  private static void parse(JsonObject row, List<JmhResult> out) {
    String full = row.get("benchmark").getAsString();
    String name = shortName(full);
    String mode = row.get("mode").getAsString();
    int threads = row.get("threads").getAsInt();
    int forks = row.has("forks") ? row.get("forks").getAsInt() : 1;
    Map<String, String> params = new TreeMap<>();
    if (row.has("params")) {
      for (Map.Entry<String, JsonElement> p : row.getAsJsonObject("params").entrySet()) {
        params.put(p.getKey(), p.getValue().getAsString());
      }
    }
    JsonObject primary = row.getAsJsonObject("primaryMetric");
    JsonObject secondary =
        row.has("secondaryMetrics") ? row.getAsJsonObject("secondaryMetrics") : new JsonObject();
    double bytes = Double.NaN;
    Map<String, JsonObject> labelled = new LinkedHashMap<>();
    Map<String, String> extras = new TreeMap<>();
    for (Map.Entry<String, JsonElement> m : secondary.entrySet()) {
      String key = m.getKey().replace("\u00b7", "");
      JsonObject metric = m.getValue().getAsJsonObject();
      if (key.equals("gc.alloc.rate.norm")) {
        bytes = metric.get("score").getAsDouble();
      } else if (isTimeOrRate(metric.get("scoreUnit").getAsString())) {
        labelled.put(key, metric);
      } else if (!key.startsWith("gc.")) {
        extras.put(
            key,
            String.format(Locale.ROOT, "%.4g", metric.get("score").getAsDouble())
                + " "
                + metric.get("scoreUnit").getAsString());
      }
    }
    out.add(of(name, mode, threads, forks, params, primary, bytes, extras));
    // A @Group's methods: JMH lists each as a secondary metric named by its label, in the
    // primary metric's unit. The JSON does not carry the threads of each label; the rows assume
    // they are split evenly (as in every group of this suite: one thread per method).
    if (labelled.size() > 1) {
      int perLabel = threads % labelled.size() == 0 ? threads / labelled.size() : 1;
      for (Map.Entry<String, JsonObject> m : labelled.entrySet()) {
        out.add(
            of(
                name + ":" + m.getKey(),
                mode,
                perLabel,
                forks,
                params,
                m.getValue(),
                Double.NaN,
                Map.of()));
      }
    }
  }

  private static boolean isTimeOrRate(String unit) {
    return unit.endsWith("/op") || unit.startsWith("ops/");
  }

  private static JmhResult of(
      String name,
      String mode,
      int threads,
      int forks,
      Map<String, String> params,
      JsonObject metric,
      double bytes,
      Map<String, String> extras) {
    String unit = metric.get("scoreUnit").getAsString();
    double score = metric.get("score").getAsDouble();
    double error = metric.has("scoreError") ? parseDouble(metric.get("scoreError")) : Double.NaN;
    double ns;
    double nsErr;
    double opsPerSec;
    if (unit.startsWith("ops/")) {
      // Throughput: JMH sums the threads; a thread's time per operation is threads / rate.
      double perSec = score / secondsPer(unit.substring(4));
      opsPerSec = perSec;
      ns = threads * 1e9 / perSec;
      nsErr = Double.isNaN(error) ? Double.NaN : ns * error / score;
    } else {
      // Time per operation (avgt, sample, ss): JMH averages the threads.
      double scale = secondsPer(unit.substring(0, unit.indexOf('/'))) * 1e9;
      ns = score * scale;
      nsErr = error * scale;
      opsPerSec = threads * 1e9 / ns;
    }
    return new JmhResult(
        name,
        mode,
        threads,
        forks,
        Collections.unmodifiableMap(params),
        ns,
        nsErr,
        opsPerSec,
        bytes,
        Collections.unmodifiableMap(extras));
  }

  private static double parseDouble(JsonElement e) {
    try {
      return e.getAsDouble();
    } catch (NumberFormatException | UnsupportedOperationException ex) {
      return Double.NaN; // JMH writes "NaN" when one iteration gives no error estimate
    }
  }

  private static double secondsPer(String timeUnit) {
    return switch (timeUnit) {
      case "ns" -> 1e-9;
      case "us" -> 1e-6;
      case "ms" -> 1e-3;
      case "s" -> 1;
      case "min" -> 60;
      default -> throw new IllegalArgumentException("unknown JMH time unit: " + timeUnit);
    };
  }

  /** {@code io.github.vmalock.jmh.VmaLookupBench.lookup} to {@code VmaLookupBench.lookup}. */
  static String shortName(String full) {
    int method = full.lastIndexOf('.');
    int cls = full.lastIndexOf('.', method - 1);
    return full.substring(cls + 1);
  }

  /** Whether this row is {@code name} with every given parameter equal. */
  public boolean matches(String benchmark, Map<String, String> want) {
    if (!name.equals(benchmark)) {
      return false;
    }
    for (Map.Entry<String, String> w : want.entrySet()) {
      if (!w.getValue().equals(params.get(w.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /** The parameters as {@code a=1 b=X}, or empty. */
  public String paramString() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> p : params.entrySet()) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(p.getKey()).append('=').append(p.getValue());
    }
    return sb.toString();
  }
}
