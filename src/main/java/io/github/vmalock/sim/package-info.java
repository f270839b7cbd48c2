/**
 * The simulator: kernel callers of the per-VMA locks, workloads that run them against an {@link
 * io.github.vmalock.mm.MmStruct} before and after the series "mm: Unconditional per-VMA locks and
 * cleanups", and the replay of the series' v2 defects.
 *
 * <p>This package is the simulator's API: {@link io.github.vmalock.sim.Simulator} runs a {@link
 * io.github.vmalock.sim.Workload} (or a named {@link io.github.vmalock.sim.Scenario}'s) and returns
 * a {@link io.github.vmalock.sim.RunResult}; {@link io.github.vmalock.sim.SeedV2Replay} replays the
 * v2 defects. Around it: the kernel callers and what they share ({@link
 * io.github.vmalock.sim.callers}), the simulated world ({@link io.github.vmalock.sim.world}), the
 * report ({@link io.github.vmalock.sim.report}), the experiments ({@link
 * io.github.vmalock.sim.experiment}) and the command line ({@code io.github.vmalock.sim.cli}).
 *
 * <p>The runner and the experiments need nothing beyond the JDK: latencies go into the simulator's
 * own {@link io.github.vmalock.sim.report.LatencyHistogram}. Only the command line ({@code
 * io.github.vmalock.sim.cli}: picocli, JFreeChart for {@code --chart}) uses the library's optional
 * dependencies, which are on the class path of the shaded CLI jar ({@code
 * vmalock-sim-VERSION-cli.jar}).
 */
package io.github.vmalock.sim;
