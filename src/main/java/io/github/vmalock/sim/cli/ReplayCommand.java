package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.SeedV2Replay;
import io.github.vmalock.sim.report.Report;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code replay seed-v2}: the series' v2 defects next to their corrected shapes. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description =
        "Replays the defects of v2 of the series (seed-v2): each v2 shape must be caught, each"
            + " corrected shape must pass. Exit status 0 when both hold, 1 otherwise.")
public final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "WHAT", description = "What to replay: seed-v2.")
  String what;

  @Option(
      names = "--leak-wait",
      converter = DurationConverter.class,
      description =
          "Bounded wait after which a writer's vma_start_write counts as blocked by a"
              + " leaked reference (default: 1s).")
  Duration leakWait = Duration.ofSeconds(1);

  /** Creates the command; picocli fills it. */
  public ReplayCommand() {}

  @Override
  public Integer call() {
    if (!"seed-v2".equals(what)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "unknown replay '" + what + "'; valid: seed-v2");
    }
    SeedV2Replay.Result r = new SeedV2Replay(leakWait).run();
    var out = spec.commandLine().getOut();
    out.println(
        "Replay of the defects of v2 of the series (mm: Unconditional per-VMA locks and cleanups)");
    out.println();
    out.print(Report.replayTable(r));
    out.flush();
    return r.allAsExpected() ? 0 : 1;
  }
}
