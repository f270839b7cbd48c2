package io.github.vmalock.jmh.report;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Merges JMH JSON result files into one, for a results page built from a run of several passes (the
 * whole suite with one fork per point, then a few points again with more forks): a row of a later
 * file replaces the row of an earlier file with the same benchmark, mode, thread count and
 * parameters, in its place; a row no earlier file has is appended.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.vmalock.jmh.report.MergeResults OUT IN...}.
 */
public final class MergeResults {
  private MergeResults() {}

  /**
   * Writes the merge of the input files to the output file.
   *
   * @param args the output file, then at least one input file
   * @throws IOException when a file cannot be read or written
   * @throws IllegalArgumentException when fewer than two paths are given, or an input is not a JMH
   *     JSON array of rows
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: MergeResults OUT IN...");
    }
    Map<String, JsonObject> rows = new LinkedHashMap<>();
    int replaced = 0;
    for (int i = 1; i < args.length; i++) {
      for (JsonElement e : read(Path.of(args[i]))) {
        JsonObject row = e.getAsJsonObject();
        if (rows.put(key(row, args[i]), row) != null) {
          replaced++;
        }
      }
    }
    JsonArray out = new JsonArray();
    rows.values().forEach(out::add);
    Files.writeString(
        Path.of(args[0]),
        new GsonBuilder().setPrettyPrinting().create().toJson(out),
        StandardCharsets.UTF_8);
    System.out.println(
        "merged " + rows.size() + " rows into " + args[0] + " (" + replaced + " replaced)");
  }

  private static JsonArray read(Path file) throws IOException {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement all = JsonParser.parseReader(in);
      if (!all.isJsonArray()) {
        throw new IllegalArgumentException(file + " is not a JMH JSON result file (no array)");
      }
      return all.getAsJsonArray();
    }
  }

  /** Benchmark, mode, threads and parameters: what makes two rows the same measurement point. */
  static String key(JsonObject row, String file) {
    for (String field : new String[] {"benchmark", "mode", "threads"}) {
      if (!row.has(field)) {
        throw new IllegalArgumentException(file + ": a row without \"" + field + "\": " + row);
      }
    }
    String params = row.has("params") ? row.get("params").toString() : "{}";
    return row.get("benchmark").getAsString()
        + ' '
        + row.get("mode").getAsString()
        + ' '
        + row.get("threads").getAsInt()
        + ' '
        + params;
  }
}
