package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.report.Report;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine;

/** Shared output of the run and headline commands: the table, JSON, chart, and exit status. */
final class Emit {
  private Emit() {}

  /** Checks the output files can be written, before a run, so bad paths fail fast with status 2. */
  static void checkWritable(CommandLine cmd, File file, String option) {
    if (file == null) {
      return;
    }
    File parent = file.getAbsoluteFile().getParentFile();
    if (file.isDirectory() || parent == null || !parent.isDirectory() || !parent.canWrite()) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '" + option + "': cannot write '" + file + "'");
    }
  }

  static int results(
      List<RunResult> results, File json, File chart, PrintWriter out, PrintWriter err) {
    String table = Report.table(results);
    out.print(table);
    if (!table.endsWith("\n")) {
      out.println();
    }
    out.flush();
    int status = 0;
    for (RunResult r : results) {
      if (!r.clean()) {
        status = 1;
      }
    }
    try {
      if (json != null) {
        Files.writeString(json.toPath(), Report.json(results), StandardCharsets.UTF_8);
        out.println("JSON written to " + json);
      }
      if (chart != null) {
        ChartWriter.write(results, chart);
        out.println("chart written to " + chart);
      }
    } catch (IOException e) {
      err.println("vmalock-sim: could not write output: " + e.getMessage());
      status = 1;
    }
    if (status != 0) {
      err.println("vmalock-sim: invariant violations or leaked locks found (see above)");
    }
    out.flush();
    err.flush();
    return status;
  }
}
