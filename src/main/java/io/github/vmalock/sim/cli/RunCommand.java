package io.github.vmalock.sim.cli;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import io.github.vmalock.variants.ProtocolVariant;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code run}: one workload (a scenario, or an explicit mix) in one world or all three. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Runs a workload: reader threads running kernel callers, writer threads changing the"
            + " address space. Debug mode (lock tracking) is on unless --no-debug.")
public final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-s", "--scenario"},
      paramLabel = "NAME",
      description = "A named workload (see 'scenarios'; default: fault-storm).")
  String scenario;

  @Option(
      names = {"-m", "--mix"},
      paramLabel = "CALLER=WEIGHT,...",
      description = "Caller mix, overriding the scenario's, e.g. page-fault=8,mmap=1,munmap=1.")
  String mix;

  @Option(
      names = {"-t", "--threads"},
      description = "Reader threads (default: ${DEFAULT-VALUE}).")
  int threads = 2;

  @Option(
      names = {"-w", "--writers"},
      description = "Writer threads (default: ${DEFAULT-VALUE}).")
  int writers = 1;

  @Option(
      names = {"-d", "--duration"},
      converter = DurationConverter.class,
      description = "Run for this long, e.g. 500ms, 3s (default: 2s).")
  Duration duration;

  @Option(
      names = {"-n", "--ops"},
      description = "Instead of a duration: operations per reader thread.")
  Long ops;

  @Option(names = "--seed", description = "Seed of the operation sequences (default: 42).")
  long seed = 42;

  @Option(names = "--vmas", description = "Initial VMAs, at least 8 (default: ${DEFAULT-VALUE}).")
  int vmas = 64;

  @Option(
      names = "--retry-rate",
      description = "Fraction of page faults needing mmap_lock (VM_FAULT_RETRY), 0 to 1.")
  Double retryRate;

  @Option(
      names = "--neighbour-writers",
      description =
          "Writer threads churning a second mm that shares the VMA cache, so freed VMAs are"
              + " recycled across mms under the readers (default: the scenario's, 0 or 1).")
  Integer neighbourWriters;

  @Option(
      names = "--shape",
      description =
          "Callers before or after the series: ${COMPLETION-CANDIDATES} (default: AFTER).")
  SeriesShape shape = SeriesShape.AFTER;

  @Option(
      names = "--lock-mode",
      description = "The mm's locks: ${COMPLETION-CANDIDATES} (default: PER_VMA).")
  LockMode lockMode = LockMode.PER_VMA;

  @Option(
      names = "--all-worlds",
      description = "Run in all three worlds (ignores --shape and --lock-mode).")
  boolean allWorlds;

  @Option(
      names = "--variant",
      description = "The mm's protocol variant: ${COMPLETION-CANDIDATES} (default: FAITHFUL).")
  ProtocolVariant variant = ProtocolVariant.FAITHFUL;

  @Option(
      names = "--debug",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description = "Debug mode of the mm: lock tracking, leak checks (default: on).")
  boolean debug;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
  File json;

  @Option(names = "--chart", paramLabel = "FILE.png", description = "Also write a bar chart.")
  File chart;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress line.")
  boolean quiet;

  @picocli.CommandLine.Mixin CostOptions cost = new CostOptions();

  /** Creates the command; picocli fills it. */
  public RunCommand() {}

  static void range(CommandLine cmd, String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new CommandLine.ParameterException(
          cmd,
          "Invalid value for option '"
              + option
              + "': must be between "
              + min
              + " and "
              + max
              + ", was "
              + value);
    }
  }

  static String fmt(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }

  @Override
  public Integer call() {
    CommandLine cmd = spec.commandLine();
    Scenario sc;
    try {
      sc = scenario == null ? Scenario.FAULT_STORM : Scenario.parse(scenario);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '--scenario': " + e.getMessage());
    }
    Map<CallerKind, Integer> m;
    try {
      m = mix == null ? sc.mix() : Scenario.parseMix(mix);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '--mix': " + e.getMessage());
    }
    range(cmd, "--threads", threads, 0, 1024);
    range(cmd, "--writers", writers, 0, 1024);
    if (vmas > Workload.MAX_VMAS) {
      throw new CommandLine.ParameterException(
          cmd,
          "Invalid value for option '--vmas': "
              + vmas
              + " is above "
              + Workload.MAX_VMAS
              + ", half the map-count limit vm.max_map_count ("
              + io.github.vmalock.mm.MmStruct.DEFAULT_MAX_MAP_COUNT
              + "): the layout's VMAs and the writers' splits must fit under it");
    }
    range(cmd, "--vmas", vmas, 8, Workload.MAX_VMAS);
    int nw = neighbourWriters == null ? sc.neighbourWriters() : neighbourWriters;
    range(cmd, "--neighbour-writers", nw, 0, 64);
    if (ops != null) {
      range(cmd, "--ops", ops, 1, Long.MAX_VALUE / 2);
      if (duration != null) {
        throw new CommandLine.ParameterException(
            cmd, "--duration and --ops are mutually exclusive: give one");
      }
    }
    double rr = retryRate == null ? sc.retryRate() : retryRate;
    if (!(rr >= 0 && rr <= 1)) {
      throw new CommandLine.ParameterException(
          cmd, "Invalid value for option '--retry-rate': must be between 0 and 1, was " + rr);
    }
    List<World> worlds;
    if (allWorlds) {
      worlds = World.all();
    } else {
      try {
        worlds = List.of(new World(shape, lockMode));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            cmd, "Invalid combination of '--shape' and" + " '--lock-mode': " + e.getMessage());
      }
    }
    Emit.checkWritable(cmd, json, "--json");
    Emit.checkWritable(cmd, chart, "--chart");
    Workload.Builder b =
        Workload.builder()
            .mix(m)
            .retryRate(rr)
            .threads(threads)
            .writers(writers)
            .seed(seed)
            .vmas(vmas)
            .variant(variant)
            .neighbourWriters(nw)
            .cost(cost.build(cmd, false))
            .debug(debug);
    if (ops != null) {
      b.opsPerThread(ops);
    } else {
      b.duration(duration == null ? Duration.ofSeconds(2) : duration);
    }
    List<Workload> workloads = new ArrayList<>();
    for (World w : worlds) {
      try {
        workloads.add(b.world(w).build());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            cmd, "Invalid workload: " + e.getMessage() + " (see --threads, --writers, --mix)");
      }
    }
    var out = cmd.getOut();
    var err = cmd.getErr();
    Workload first = workloads.get(0);
    out.printf(
        Locale.ROOT,
        "Scenario %s: mix %s, %d reader(s), %d writer(s), %s, seed %d, %d VMAs, retry rate %.2f,"
            + " variant %s, debug %s%n%n",
        mix == null ? sc.label() : "custom",
        mix == null ? sc.mixText() : mix,
        threads,
        writers,
        first.timed() ? fmt(first.duration()) + " per world" : ops + " ops per reader",
        seed,
        vmas,
        rr,
        variant,
        debug ? "on" : "off");
    out.flush();
    boolean showProgress =
        first.timed() && Progress.wanted(quiet, first.duration().toMillis() * workloads.size());
    List<RunResult> results = new ArrayList<>();
    for (Workload w : workloads) {
      Progress p = showProgress ? new Progress(err, "run ") : null;
      results.add(Simulator.run(w, p));
      if (p != null) {
        p.clear();
      }
    }
    return Emit.results(results, json, chart, out, err);
  }
}
