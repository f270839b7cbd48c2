package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.experiment.Experiment;
import io.github.vmalock.sim.experiment.ExperimentOptions;
import io.github.vmalock.sim.experiment.ExperimentResult;
import io.github.vmalock.sim.experiment.Experiments;
import io.github.vmalock.sim.experiment.Summary;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code experiment NAME | --list}: one experiment (its table, the published figure, the model's
 * ratio with its spread, the verdict), or, with no name, the summary of all of them, which is what
 * running {@code vmalock-sim} with no arguments does in quick mode.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Runs an experiment against its published kernel figure (worlds interleaved over rounds;"
            + " a ratio whose spread exceeds its effect is 'not significant'). With no NAME: the"
            + " summary of every experiment. Names: proc-maps-latency, fault-scaling, app-launch,"
            + " series.")
public final class ExperimentCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "NAME",
      description = "The experiment; omit for the summary of all.")
  String name;

  @Option(names = "--list", description = "List the experiments, one line each, and exit.")
  boolean list;

  @Option(names = "--quick", description = "Quick mode: seconds per experiment.")
  boolean quick;

  @Option(
      names = "--rounds",
      description = "Rounds of interleaved worlds, 2-100 (default: 3 quick, 5 otherwise).")
  Integer rounds;

  @Option(
      names = "--run-length",
      converter = DurationConverter.class,
      description = "Length of one measurement (default: the experiment's, by mode).")
  Duration runLength;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
  File json;

  @Option(names = "--chart", paramLabel = "FILE.png", description = "Also write its chart.")
  File chart;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress lines on standard error.")
  boolean quiet;

  @Mixin CostOptions cost = new CostOptions();

  /** Creates the command; picocli fills it. */
  public ExperimentCommand() {}

  /**
   * The summary in quick mode, as running with no arguments does.
   *
   * @param out standard output
   * @param err standard error
   * @return the exit status
   */
  static int headline(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new ExperimentCommand());
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute("--quick");
  }

  @Override
  public Integer call() {
    CommandLine cmd = spec.commandLine();
    PrintWriter out = cmd.getOut();
    PrintWriter err = cmd.getErr();
    if (list) {
      for (Experiment e : Experiments.all()) {
        out.printf("%-18s %s%n", e.name(), e.summary());
      }
      out.flush();
      return 0;
    }
    List<Experiment> chosen = new ArrayList<>();
    if (name != null) {
      Optional<Experiment> e = Experiments.byName(name);
      if (e.isEmpty()) {
        throw new CommandLine.ParameterException(
            cmd, "Unknown experiment '" + name + "': valid names are " + Experiments.names());
      }
      chosen.add(e.get());
    } else {
      chosen.addAll(Experiments.all());
    }
    if (rounds != null) {
      RunCommand.range(cmd, "--rounds", rounds, 2, 100);
    }
    if (runLength != null
        && (runLength.toMillis() < 10 || runLength.compareTo(Duration.ofMinutes(10)) > 0)) {
      throw new CommandLine.ParameterException(
          cmd,
          "Invalid value for option '--run-length': must be between 10ms and 10m, was "
              + runLength);
    }
    Emit.checkWritable(cmd, json, "--json");
    Emit.checkWritable(cmd, chart, "--chart");
    CostModel model = cost.build(cmd, true);
    ExperimentOptions options =
        new ExperimentOptions(
            quick, rounds == null ? 0 : rounds, runLength, model, cost.userHolds(cmd), seed);
    List<ExperimentResult> results = new ArrayList<>();
    for (Experiment e : chosen) {
      if (!quiet) {
        err.println("running " + e.name() + (quick ? " (quick)" : "") + " ...");
        err.flush();
      }
      ExperimentResult r =
          e.run(
              options,
              quiet
                  ? null
                  : line -> {
                    err.println("  " + e.name() + ": " + line);
                    err.flush();
                  });
      results.add(r);
      if (name != null) {
        out.print(r.text());
        out.flush();
      }
    }
    int status = 0;
    for (ExperimentResult r : results) {
      if (r.violations() > 0) {
        status = 1;
      }
    }
    if (name == null) {
      out.print(Summary.text(results));
      out.flush();
    }
    try {
      if (json != null) {
        String doc = name != null ? results.get(0).json() : Summary.json(results);
        Files.writeString(json.toPath(), doc, StandardCharsets.UTF_8);
        out.println("JSON written to " + json);
      }
      if (chart != null) {
        if (name != null) {
          ExperimentChart.write(results.get(0), chart);
        } else {
          ExperimentChart.writeSummary(results, chart);
        }
        out.println("chart written to " + chart);
      }
    } catch (IOException e) {
      err.println("vmalock-sim: could not write output: " + e.getMessage());
      status = 1;
    }
    if (status != 0) {
      err.println("vmalock-sim: invariant violations or leaked locks found in an experiment");
    }
    out.flush();
    err.flush();
    return status;
  }
}
