/**
 * What a run reports: per-caller results ({@link io.github.vmalock.sim.report.CallerResult}), the
 * simulator's own latency histogram ({@link io.github.vmalock.sim.report.LatencyHistogram}, JDK
 * only) and the text and JSON forms of runs and replays ({@link
 * io.github.vmalock.sim.report.Report}). The run's result itself, {@link
 * io.github.vmalock.sim.RunResult}, stays with the runner in {@link io.github.vmalock.sim}; {@code
 * Report} formats it. The package does not depend on the experiments or the CLI ({@code
 * ArchitectureTest}).
 */
package io.github.vmalock.sim.report;
