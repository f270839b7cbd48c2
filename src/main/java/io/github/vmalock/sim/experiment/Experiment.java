package io.github.vmalock.sim.experiment;

import java.util.function.Consumer;

/**
 * One experiment: a kernel-like workload run in two or more worlds, in interleaved rounds, set
 * against a published figure. Implementations are stateless; {@link #run} may be called again.
 */
public interface Experiment {
  /**
   * The experiment's name on the command line ({@code vmalock-sim experiment NAME}).
   *
   * @return for example {@code "proc-maps-latency"}
   */
  String name();

  /**
   * One line on what it measures, for {@code experiment --list}.
   *
   * @return the line
   */
  String summary();

  /**
   * The published figure it is compared with.
   *
   * @return the figure
   */
  Published published();

  /**
   * Runs the experiment. Context: blocks the calling thread for the whole run (seconds in quick
   * mode, about a minute by default); starts and joins its own threads.
   *
   * @param options the mode and the cost model
   * @param progress receives a line per finished measurement, or null
   * @return the result
   */
  ExperimentResult run(ExperimentOptions options, Consumer<String> progress);
}
