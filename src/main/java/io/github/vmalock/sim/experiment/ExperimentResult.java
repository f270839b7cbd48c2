package io.github.vmalock.sim.experiment;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an experiment found: its headline ratio against the published one, the table of every figure
 * it measured (one row per world and setting, with spreads), notes, and the data of its chart.
 * Immutable.
 *
 * @param name the experiment's name
 * @param title one line saying what was run
 * @param published the published figure
 * @param modelUnit what the model's headline ratio is (the same quantity as the published one)
 * @param model the model's headline ratio, once per round
 * @param rows the table: each row an ordered map of column to value (String, Long, Double)
 * @param notes lines printed under the table: what two CPUs cannot show, caveats
 * @param parameters the scenario's and the cost model's settings, by name
 * @param chart series name to (category to value), for the chart
 * @param chartAxis the chart's value axis label
 * @param violations invariant violations and leaked locks found in all its runs
 * @param elapsedNanos how long it ran
 */
public record ExperimentResult(
    String name,
    String title,
    Published published,
    String modelUnit,
    Samples model,
    List<Map<String, Object>> rows,
    List<String> notes,
    Map<String, String> parameters,
    Map<String, Map<String, Double>> chart,
    String chartAxis,
    long violations,
    long elapsedNanos) {

  /** Copies the collections. */
  public ExperimentResult {
    rows = List.copyOf(rows);
    notes = List.copyOf(notes);
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    chart = Collections.unmodifiableMap(new LinkedHashMap<>(chart));
  }

  /**
   * Whether the model's ratio is significant (its spread over rounds smaller than its effect).
   *
   * @return true if significant
   */
  public boolean significant() {
    return model.significantRatio();
  }

  /**
   * Whether the model agrees with the published figure in direction, significantly.
   *
   * @return true if the model's ratio is significant and on the published side of 1
   */
  public boolean agrees() {
    return significant() && (model.median() - 1) * published.direction() > 0;
  }

  /**
   * The verdict word of the summary: {@code yes}, {@code no}, or {@code not significant}.
   *
   * @return the word
   */
  public String verdict() {
    if (!significant()) {
      return "not significant";
    }
    return agrees() ? "yes" : "no";
  }

  /**
   * The JSON document: the fixed fields {@code experiment}, {@code published} ({@code value},
   * {@code unit}, {@code source}), {@code model} ({@code value}, {@code unit}, {@code spread}),
   * {@code agrees}, then {@code significant}, the rounds, the table rows, notes, parameters.
   *
   * @return the JSON text
   */
  public String json() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("experiment", name);
    Map<String, Object> pub = new LinkedHashMap<>();
    pub.put("value", published.value());
    pub.put("unit", published.unit());
    pub.put("source", published.source());
    pub.put("machine", published.machine());
    pub.put("direction", published.direction() > 0 ? "above 1" : "below 1");
    doc.put("published", pub);
    Map<String, Object> mod = new LinkedHashMap<>();
    mod.put("value", model.median());
    mod.put("unit", modelUnit);
    mod.put("spread", model.spread());
    mod.put("min", model.min());
    mod.put("max", model.max());
    mod.put("rounds", new ArrayList<Object>(model.values()));
    doc.put("model", mod);
    doc.put("agrees", agrees());
    doc.put("significant", significant());
    doc.put("title", title);
    doc.put("rows", new ArrayList<Object>(rows));
    doc.put("notes", new ArrayList<Object>(notes));
    doc.put("parameters", new LinkedHashMap<String, Object>(parameters));
    doc.put("violations", violations);
    doc.put("elapsed_s", elapsedNanos / 1e9);
    doc.put("machine", machine());
    return Json.write(doc);
  }

  /**
   * The machine the model ran on: CPUs, Java, OS.
   *
   * @return an ordered map
   */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpus", (long) Runtime.getRuntime().availableProcessors());
    m.put(
        "java",
        System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    m.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    return m;
  }

  /**
   * The text report: title, the table, the comparison with the published figure, the notes.
   *
   * @return the text
   */
  public String text() {
    StringBuilder sb = new StringBuilder();
    sb.append(name).append(": ").append(title).append("\n\n");
    sb.append(table(rows)).append('\n');
    sb.append("published: ")
        .append(Double.isNaN(published.value()) ? "no figure" : fmt(published.value()) + "x")
        .append(" (")
        .append(published.unit())
        .append("; ")
        .append(published.machine())
        .append(")\n           ")
        .append(published.source())
        .append('\n');
    sb.append("model:     ")
        .append(fmt(model.median()))
        .append("x ± ")
        .append(fmt(model.spread()))
        .append(" over ")
        .append(model.count())
        .append(" rounds (")
        .append(modelUnit)
        .append("; ")
        .append(machine().get("cpus"))
        .append(" CPUs)\n");
    sb.append("agrees:    ").append(verdict());
    if (!significant()) {
      sb.append(" (the spread over rounds is larger than the effect)");
    }
    sb.append('\n');
    if (violations > 0) {
      sb.append("VIOLATIONS: ")
          .append(violations)
          .append(" (invariant violations or leaked locks)\n");
    }
    for (String n : notes) {
      sb.append("  - ").append(n).append('\n');
    }
    return sb.toString();
  }

  /**
   * Formats rows as an aligned table: columns in the first row's order.
   *
   * @param rows the rows
   * @return the table text
   */
  static String table(List<Map<String, Object>> rows) {
    if (rows.isEmpty()) {
      return "(no rows)\n";
    }
    List<String> cols = new ArrayList<>(rows.get(0).keySet());
    int[] w = new int[cols.size()];
    List<List<String>> cells = new ArrayList<>();
    for (int i = 0; i < cols.size(); i++) {
      w[i] = cols.get(i).length();
    }
    for (Map<String, Object> r : rows) {
      List<String> line = new ArrayList<>();
      for (int i = 0; i < cols.size(); i++) {
        String c = cell(r.get(cols.get(i)));
        line.add(c);
        w[i] = Math.max(w[i], c.length());
      }
      cells.add(line);
    }
    StringBuilder sb = new StringBuilder();
    int total = 0;
    for (int i = 0; i < cols.size(); i++) {
      sb.append(i == 0 ? "" : "  ").append(pad(cols.get(i), w[i], i == 0));
      total += w[i] + (i == 0 ? 0 : 2);
    }
    sb.append('\n').append("-".repeat(total)).append('\n');
    for (List<String> line : cells) {
      for (int i = 0; i < line.size(); i++) {
        sb.append(i == 0 ? "" : "  ").append(pad(line.get(i), w[i], i == 0));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String cell(Object v) {
    if (v == null) {
      return "-";
    }
    if (v instanceof Double d) {
      return fmt(d);
    }
    return String.valueOf(v);
  }

  /**
   * Formats a figure with three significant digits (at least one decimal below 100).
   *
   * @param d the figure
   * @return the text, {@code -} for NaN
   */
  static String fmt(double d) {
    if (Double.isNaN(d)) {
      return "-";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    double a = Math.abs(d);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", d);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", d);
    }
    if (a >= 0.1 || a == 0) {
      return String.format(Locale.ROOT, "%.2f", d);
    }
    return String.format(Locale.ROOT, "%.3g", d);
  }

  private static String pad(String s, int w, boolean left) {
    if (s.length() >= w) {
      return s;
    }
    String sp = " ".repeat(w - s.length());
    return left ? s + sp : sp + s;
  }
}
