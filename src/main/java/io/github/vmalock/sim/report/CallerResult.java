package io.github.vmalock.sim.report;

import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.Outcome;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one caller did in a run, summed over threads: operations by {@link Outcome}, retries, and
 * the latency histogram (nanoseconds per call; for writers, the time in the syscall including the
 * wait for the mmap write lock and for readers of the VMAs it changes).
 *
 * @param kind the caller
 * @param outcomes operations by outcome
 * @param retries retries the caller counted ({@code VM_FAULT_RETRY})
 * @param latency call latency in nanoseconds
 */
public record CallerResult(
    CallerKind kind, Map<Outcome, Long> outcomes, long retries, LatencyHistogram latency) {

  /**
   * Copies the outcome map.
   *
   * @throws IllegalArgumentException if any component is null
   */
  public CallerResult {
    if (kind == null || outcomes == null || latency == null) {
      throw new IllegalArgumentException("CallerResult components must not be null");
    }
    Map<Outcome, Long> m = new EnumMap<>(Outcome.class);
    m.putAll(outcomes);
    outcomes = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Operations with the given outcome.
   *
   * @param o the outcome
   * @return the count
   */
  public long count(Outcome o) {
    return outcomes.getOrDefault(o, 0L);
  }

  /**
   * All operations.
   *
   * @return the total count
   */
  public long ops() {
    long n = 0;
    for (long v : outcomes.values()) {
      n += v;
    }
    return n;
  }

  /**
   * Operations per second over the run.
   *
   * @param elapsedNanos the run's length
   * @return the rate
   */
  public double opsPerSecond(long elapsedNanos) {
    return elapsedNanos <= 0 ? 0 : ops() * 1e9 / elapsedNanos;
  }

  /**
   * The fast-path success rate: of the calls that found a VMA and got a lock or gave up ({@code
   * VMA_LOCKED + MMAP_LOCKED + SKIPPED}), the fraction done under the VMA read lock.
   *
   * @return a fraction in [0, 1], or NaN when there were none
   */
  public double fastPathRate() {
    long fast = count(Outcome.VMA_LOCKED);
    long all = fast + count(Outcome.MMAP_LOCKED) + count(Outcome.SKIPPED);
    return all == 0 ? Double.NaN : (double) fast / all;
  }

  /**
   * A latency percentile in microseconds.
   *
   * @param percentile for example 99.9
   * @return the value, 0 when there were no calls
   */
  public double latencyMicros(double percentile) {
    return latency.totalCount() == 0 ? 0 : latency.valueAtPercentile(percentile) / 1000.0;
  }
}
