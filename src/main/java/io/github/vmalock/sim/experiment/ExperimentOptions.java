package io.github.vmalock.sim.experiment;

import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.callers.Hold;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * How an experiment runs: quick or default mode, rounds, the length of each measurement, the cost
 * model, and the holds the user set explicitly (they win over an experiment's own scenario, such as
 * {@code proc-maps-latency}'s preempted readers).
 *
 * @param quick quick mode (seconds) rather than the default (about a minute)
 * @param rounds rounds of interleaved worlds, 0 for the experiment's default (3 quick, 5 default)
 * @param runLength length of one timed measurement, null for the experiment's default
 * @param cost the cost model (normally {@link CostModel#kernel()} with the user's settings)
 * @param userHolds holds the user set on the command line
 * @param seed the seed of the operation sequences
 */
public record ExperimentOptions(
    boolean quick,
    int rounds,
    Duration runLength,
    CostModel cost,
    Map<CallerKind, Hold> userHolds,
    long seed) {

  /**
   * Validates and copies the components.
   *
   * @throws IllegalArgumentException if rounds is not 0 or within 2..100, the run length is not
   *     positive, or cost is null
   */
  public ExperimentOptions {
    if (rounds != 0 && (rounds < 2 || rounds > 100)) {
      throw new IllegalArgumentException(
          "rounds must be between 2 and 100 (a spread needs two), was " + rounds);
    }
    if (runLength != null && (runLength.isNegative() || runLength.isZero())) {
      throw new IllegalArgumentException("run length must be positive, was " + runLength);
    }
    if (cost == null) {
      throw new IllegalArgumentException("cost model must not be null");
    }
    Map<CallerKind, Hold> m = new EnumMap<>(CallerKind.class);
    if (userHolds != null) {
      m.putAll(userHolds);
    }
    userHolds = Collections.unmodifiableMap(m);
  }

  /**
   * The kernel cost model, nothing set by the user, seed 42.
   *
   * @param quick quick mode
   * @return the options
   */
  public static ExperimentOptions defaults(boolean quick) {
    return new ExperimentOptions(quick, 0, null, CostModel.kernel().build(), Map.of(), 42);
  }

  /**
   * The rounds to run.
   *
   * @param quickDefault the experiment's quick-mode default
   * @param fullDefault its default-mode default
   * @return {@link #rounds()} if set, else the default for the mode
   */
  public int roundsOr(int quickDefault, int fullDefault) {
    return rounds != 0 ? rounds : quick ? quickDefault : fullDefault;
  }

  /**
   * The length of one measurement.
   *
   * @param quickDefault the experiment's quick-mode default
   * @param fullDefault its default-mode default
   * @return {@link #runLength()} if set, else the default for the mode
   */
  public Duration runLengthOr(Duration quickDefault, Duration fullDefault) {
    return runLength != null ? runLength : quick ? quickDefault : fullDefault;
  }

  /**
   * The cost model with an experiment's scenario hold for {@code kind}, unless the user set one.
   *
   * @param kind a reader caller
   * @param scenario the experiment's hold for it
   * @return the cost model to run with
   */
  public CostModel costWith(CallerKind kind, Hold scenario) {
    if (userHolds.containsKey(kind)) {
      return cost;
    }
    return cost.toBuilder().hold(kind, scenario).build();
  }
}
