package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.report.Report;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code scenarios}: lists the named workloads and the callers a mix can name. */
@Command(
    name = "scenarios",
    mixinStandardHelpOptions = true,
    description = "Lists the scenarios of 'run --scenario', one line each, and the callers.")
public final class ScenariosCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Creates the command; picocli fills it. */
  public ScenariosCommand() {}

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"scenario", "description", "mix"});
    for (Scenario s : Scenario.values()) {
      rows.add(new String[] {s.label(), s.description(), s.mixText()});
    }
    out.print(leftAligned(rows));
    out.println();
    List<String[]> callers = new ArrayList<>();
    callers.add(new String[] {"caller", "thread", "models"});
    for (CallerKind k : CallerKind.values()) {
      callers.add(new String[] {k.label(), k.isWriter() ? "writer" : "reader", k.description()});
    }
    out.print(leftAligned(callers));
    out.flush();
    return 0;
  }

  private static String leftAligned(List<String[]> rows) {
    // Report.align right-aligns columns after the second; pad every cell on the right instead.
    int[] w = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    List<String[]> padded = new ArrayList<>();
    for (String[] r : rows) {
      String[] p = new String[r.length];
      for (int i = 0; i < r.length; i++) {
        p[i] = r[i] + " ".repeat(w[i] - r[i].length());
      }
      padded.add(p);
    }
    return Report.align(padded);
  }
}
