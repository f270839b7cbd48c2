package io.github.vmalock.sim.experiment;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.world.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fault-storm comparison ({@code vmalock-sim headline}): one workload, usually {@link
 * io.github.vmalock.sim.Scenario#FAULT_STORM} (page faults against a concurrent {@code mmap}/{@code
 * munmap} writer), run in every {@link World}, each world warmed up once unmeasured, then the
 * worlds in turn round by round so that load from elsewhere on the machine hits every world alike;
 * each world's rounds are merged into one result.
 *
 * <pre>{@code
 * Workload base = Scenario.FAULT_STORM.applyTo(Workload.builder()).debug(false).build();
 * List<RunResult> byWorld = FaultStorm.run(base, Duration.ofMillis(500), 4, FaultStorm.SILENT);
 * System.out.println(FaultStorm.summary(byWorld)); // page faults/s per world, ratios to the first
 * }</pre>
 */
public final class FaultStorm {

  /** Observes the comparison's runs (the CLI shows a progress line per run). */
  public interface Observer {
    /**
     * Called on the caller's thread before each run.
     *
     * @param label {@code "warm-up "} or {@code "round R/N "}
     * @return the run's progress listener, or null for none
     */
    Simulator.ProgressListener starting(String label);

    /** Called on the caller's thread after the run {@link #starting} announced. */
    void finished();
  }

  /** An observer that shows nothing. */
  public static final Observer SILENT =
      new Observer() {
        @Override
        public Simulator.ProgressListener starting(String label) {
          return null;
        }

        @Override
        public void finished() {}
      };

  private FaultStorm() {}

  /**
   * Runs {@code base} in every world of {@link World#all()}. Context: blocks for about {@code
   * worlds * (warmup + base.duration())}.
   *
   * @param base the workload (a timed one: its duration is each world's measured time); its world
   *     and seed are replaced per run (round {@code r} uses {@code seed + r})
   * @param warmup unmeasured run of each world first, or {@link Duration#ZERO} for none
   * @param rounds how many rounds each world's time is split into, at least 1
   * @param observer told about each run
   * @return one merged result per world, in {@link World#all()} order
   * @throws IllegalArgumentException if {@code rounds} is below 1, {@code base} is not timed, or
   *     {@code warmup} is negative
   */
  public static List<RunResult> run(Workload base, Duration warmup, int rounds, Observer observer) {
    if (rounds < 1) {
      throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
    }
    if (base == null || !base.timed()) {
      throw new IllegalArgumentException("the fault-storm comparison needs a timed workload");
    }
    if (warmup == null || warmup.isNegative()) {
      throw new IllegalArgumentException("warm-up must not be negative, was " + warmup);
    }
    List<World> worlds = World.all();
    if (!warmup.isZero()) {
      for (World w : worlds) {
        Simulator.run(
            base.toBuilder().world(w).duration(warmup).build(), observer.starting("warm-up "));
        observer.finished();
      }
    }
    Duration round = base.duration().dividedBy(rounds);
    if (round.isZero()) {
      round = Duration.ofNanos(1);
    }
    List<List<RunResult>> perWorld = new ArrayList<>();
    for (int i = 0; i < worlds.size(); i++) {
      perWorld.add(new ArrayList<>());
    }
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < worlds.size(); i++) {
        String label = String.format(Locale.ROOT, "round %d/%d ", r + 1, rounds);
        Workload wl =
            base.toBuilder().world(worlds.get(i)).duration(round).seed(base.seed() + r).build();
        perWorld.get(i).add(Simulator.run(wl, observer.starting(label)));
        observer.finished();
      }
    }
    List<RunResult> results = new ArrayList<>();
    for (List<RunResult> l : perWorld) {
      results.add(RunResult.merge(l));
    }
    return results;
  }

  /**
   * One line: page faults per second in each world, and each world's ratio to the first.
   *
   * @param results per-world results, as {@link #run} returns them
   * @return the line, for example {@code page faults/s: BEFORE+MMAP_LOCK_ONLY 5000000,
   *     BEFORE+PER_VMA 7000000 (x1.40), ...}
   */
  public static String summary(List<RunResult> results) {
    StringBuilder sb = new StringBuilder("page faults/s: ");
    double first = 0;
    for (int i = 0; i < results.size(); i++) {
      RunResult r = results.get(i);
      CallerResult pf = r.caller(CallerKind.PAGE_FAULT);
      double v = pf == null ? 0 : pf.opsPerSecond(r.elapsedNanos());
      if (i == 0) {
        first = v;
      }
      sb.append(i == 0 ? "" : ", ")
          .append(r.workload().world().label())
          .append(String.format(Locale.ROOT, " %.0f", v));
      if (i > 0 && first > 0) {
        sb.append(String.format(Locale.ROOT, " (x%.2f)", v / first));
      }
    }
    return sb.toString();
  }
}
