package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.CallerKind;
import io.github.vmalock.sim.CallerResult;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.World;
import java.io.File;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The headline comparison: the {@code fault-storm} scenario (page faults against a concurrent
 * mmap/munmap writer) in the three worlds, one after the other, debug mode off (a speed run).
 */
@Command(
    name = "headline",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "The headline comparison (what running with no arguments does): page faults against a",
      "concurrent mmap/munmap writer, in BEFORE+MMAP_LOCK_ONLY, BEFORE+PER_VMA, AFTER+PER_VMA."
    })
public final class HeadlineCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-d", "--duration"},
      converter = DurationConverter.class,
      description = "Length of each world's run (default: 2s).")
  Duration duration = Duration.ofSeconds(2);

  @Option(
      names = {"-t", "--threads"},
      description = "Page-faulting threads (default: ${DEFAULT-VALUE}).")
  int threads = 2;

  @Option(
      names = {"-w", "--writers"},
      description = "mmap/munmap writer threads (default: ${DEFAULT-VALUE}).")
  int writers = 1;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = "--vmas", description = "Initial VMAs (default: ${DEFAULT-VALUE}).")
  int vmas = 64;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  File json;

  @Option(names = "--chart", paramLabel = "FILE.png", description = "Also write a bar chart.")
  File chart;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  /** Creates the command; picocli fills it. */
  public HeadlineCommand() {}

  @Override
  public Integer call() {
    return execute(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  int execute(PrintWriter out, PrintWriter err) {
    CommandLine cmd = spec == null ? new CommandLine(this) : spec.commandLine();
    RunCommand.range(cmd, "--threads", threads, 1, 1024);
    RunCommand.range(cmd, "--writers", writers, 1, 1024);
    RunCommand.range(cmd, "--vmas", vmas, 8, 100_000);
    Emit.checkWritable(cmd, json, "--json");
    Emit.checkWritable(cmd, chart, "--chart");
    Workload base =
        Scenario.FAULT_STORM
            .applyTo(Workload.builder())
            .threads(threads)
            .writers(writers)
            .duration(duration)
            .seed(seed)
            .vmas(vmas)
            .debug(false)
            .build();
    out.printf(
        Locale.ROOT,
        "Headline: %d page-faulting thread(s) vs %d mmap/munmap writer(s), %d VMAs, %s per world,"
            + " seed %d, %d CPUs%n%n",
        threads,
        writers,
        vmas,
        RunCommand.fmt(duration),
        seed,
        Runtime.getRuntime().availableProcessors());
    out.flush();
    List<RunResult> results = new ArrayList<>();
    boolean showProgress = Progress.wanted(quiet, duration.toMillis() * World.all().size());
    for (World w : World.all()) {
      Progress p = showProgress ? new Progress(err, "headline ") : null;
      results.add(Simulator.run(base.toBuilder().world(w).build(), p));
      if (p != null) {
        p.clear();
      }
    }
    int status = Emit.results(results, json, chart, out, err);
    out.println();
    out.println(summary(results));
    out.flush();
    return status;
  }

  static String summary(List<RunResult> results) {
    StringBuilder sb = new StringBuilder("page faults/s: ");
    double base = 0;
    for (int i = 0; i < results.size(); i++) {
      RunResult r = results.get(i);
      CallerResult pf = r.caller(CallerKind.PAGE_FAULT);
      double v = pf == null ? 0 : pf.opsPerSecond(r.elapsedNanos());
      if (i == 0) {
        base = v;
      }
      sb.append(i == 0 ? "" : ", ")
          .append(r.workload().world().label())
          .append(String.format(Locale.ROOT, " %.0f", v));
      if (i > 0 && base > 0) {
        sb.append(String.format(Locale.ROOT, " (x%.2f)", v / base));
      }
    }
    return sb.toString();
  }
}
