package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.experiment.FaultStorm;
import io.github.vmalock.sim.world.World;
import java.io.File;
import java.io.PrintWriter;
import java.time.Duration;
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
    description =
        "The headline comparison (what running with no arguments does): page faults against a"
            + " concurrent mmap/munmap writer, in BEFORE+MMAP_LOCK_ONLY, BEFORE+PER_VMA,"
            + " AFTER+PER_VMA, after an unmeasured warm-up of each; debug mode off (a speed run).")
public final class HeadlineCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-d", "--duration"},
      converter = DurationConverter.class,
      description = "Length of each world's run (default: 2s).")
  Duration duration = Duration.ofSeconds(2);

  @Option(
      names = "--warmup",
      converter = DurationConverter.class,
      description =
          "Unmeasured run of each world before its measured run, so that the JIT has compiled"
              + " the paths (default: 500ms).")
  Duration warmup = Duration.ofMillis(500);

  @Option(names = "--no-warmup", description = "Skip the warm-up runs.")
  boolean noWarmup;

  @Option(
      names = "--rounds",
      description =
          "Split each world's time into this many rounds, run the worlds in turn round by round,"
              + " and sum them, so that load from elsewhere on the machine hits every world alike"
              + " (default: ${DEFAULT-VALUE}).")
  int rounds = 4;

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
    RunCommand.range(cmd, "--rounds", rounds, 1, 1000);
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
        "Headline: %d page-faulting thread(s) vs %d mmap/munmap writer(s), %d VMAs, %s per world"
            + " in %d rounds after %s warm-up, seed %d, %d CPUs%n%n",
        threads,
        writers,
        vmas,
        RunCommand.fmt(duration),
        rounds,
        noWarmup ? "no" : RunCommand.fmt(warmup),
        seed,
        Runtime.getRuntime().availableProcessors());
    out.flush();
    long warmupMillis = noWarmup ? 0 : warmup.toMillis();
    boolean showProgress =
        Progress.wanted(quiet, (duration.toMillis() + warmupMillis) * World.all().size());
    FaultStorm.Observer observer =
        !showProgress
            ? FaultStorm.SILENT
            : new FaultStorm.Observer() {
              private Progress current;

              @Override
              public Simulator.ProgressListener starting(String label) {
                current = new Progress(err, label);
                return current;
              }

              @Override
              public void finished() {
                current.clear();
              }
            };
    List<RunResult> results =
        FaultStorm.run(base, noWarmup ? Duration.ZERO : warmup, rounds, observer);
    int status = Emit.results(results, json, chart, out, err);
    out.println();
    out.println(FaultStorm.summary(results));
    out.flush();
    return status;
  }
}
