package io.github.vmalock.sim.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The summary of several experiments: one row each, and one JSON document holding them all. */
public final class Summary {
  private Summary() {}

  /**
   * The summary table: experiment, published ratio, model ratio with spread, agrees.
   *
   * @param results the experiments' results
   * @return the text
   */
  public static String text(List<ExperimentResult> results) {
    List<Map<String, Object>> rows = new ArrayList<>();
    double seconds = 0;
    for (ExperimentResult r : results) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("experiment", r.name());
      row.put(
          "published",
          Double.isNaN(r.published().value())
              ? "no figure"
              : ExperimentResult.fmt(r.published().value()) + "x");
      row.put(
          "model",
          ExperimentResult.fmt(r.model().median())
              + "x ± "
              + ExperimentResult.fmt(r.model().spread()));
      row.put("agrees", r.verdict());
      row.put("what the ratio is", r.modelUnit());
      rows.add(row);
      seconds += r.elapsedNanos() / 1e9;
    }
    return "vmalock-sim experiments (quick mode unless told otherwise), "
        + ExperimentResult.machine().get("cpus")
        + " CPUs, "
        + ExperimentResult.fmt(seconds)
        + " s\n\n"
        + ExperimentResult.table(rows)
        + "\nEach experiment in full: vmalock-sim experiment NAME (its table, sources, notes).\n";
  }

  /**
   * One JSON document: {@code {"experiments": [...]}}, each element the experiment's own document.
   *
   * @param results the experiments' results
   * @return the JSON text
   */
  public static String json(List<ExperimentResult> results) {
    StringBuilder sb = new StringBuilder("{\"experiments\": [\n");
    for (int i = 0; i < results.size(); i++) {
      sb.append(results.get(i).json().strip());
      sb.append(i + 1 < results.size() ? ",\n" : "\n");
    }
    return sb.append("]}\n").toString();
  }
}
