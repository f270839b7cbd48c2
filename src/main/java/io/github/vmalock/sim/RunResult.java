package io.github.vmalock.sim;

import io.github.vmalock.mm.VmaLockStats;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.Violations;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.report.LatencyHistogram;
import java.util.List;

/**
 * The outcome of one {@link Simulator} run.
 *
 * @param workload what was run
 * @param elapsedNanos wall-clock length of the measured part
 * @param callers per-caller results, in {@link CallerKind} order
 * @param lockStats the mm's {@code VMA_LOCK_*} counters at the end
 * @param violations invariant violations seen
 * @param violationSamples the first violation messages
 * @param leaks leaked locks found
 * @param leakSamples the first leak messages
 * @param mapCount VMAs at the end of the run
 */
public record RunResult(
    Workload workload,
    long elapsedNanos,
    List<CallerResult> callers,
    VmaLockStats lockStats,
    long violations,
    List<String> violationSamples,
    long leaks,
    List<String> leakSamples,
    int mapCount) {

  /**
   * Copies the lists.
   *
   * @throws IllegalArgumentException if a component is null
   */
  public RunResult {
    if (workload == null || callers == null || lockStats == null) {
      throw new IllegalArgumentException("RunResult components must not be null");
    }
    callers = List.copyOf(callers);
    violationSamples = List.copyOf(violationSamples);
    leakSamples = List.copyOf(leakSamples);
  }

  /**
   * Sums runs of the same workload (rounds of one world): lengths, outcome counts, retries,
   * histograms, {@code VMA_LOCK_*} counters, violations and leaks add up; the first run's workload
   * and the last run's VMA count are kept.
   *
   * @param runs at least one run
   * @return the combined result
   * @throws IllegalArgumentException if {@code runs} is empty
   */
  public static RunResult merge(List<RunResult> runs) {
    if (runs == null || runs.isEmpty()) {
      throw new IllegalArgumentException("nothing to merge");
    }
    long elapsed = 0;
    long success = 0;
    long abort = 0;
    long retry = 0;
    long miss = 0;
    long violations = 0;
    long leaks = 0;
    java.util.List<String> vs = new java.util.ArrayList<>();
    java.util.List<String> ls = new java.util.ArrayList<>();
    java.util.Map<CallerKind, java.util.Map<Outcome, Long>> outcomes =
        new java.util.EnumMap<>(CallerKind.class);
    java.util.Map<CallerKind, Long> retries = new java.util.EnumMap<>(CallerKind.class);
    java.util.Map<CallerKind, LatencyHistogram> hists = new java.util.EnumMap<>(CallerKind.class);
    for (RunResult r : runs) {
      elapsed += r.elapsedNanos();
      success += r.lockStats().success();
      abort += r.lockStats().abort();
      retry += r.lockStats().retry();
      miss += r.lockStats().miss();
      violations += r.violations();
      leaks += r.leaks();
      for (String v : r.violationSamples()) {
        if (vs.size() < Violations.MAX_SAMPLES) {
          vs.add(v);
        }
      }
      for (String l : r.leakSamples()) {
        if (ls.size() < Violations.MAX_SAMPLES) {
          ls.add(l);
        }
      }
      for (CallerResult c : r.callers()) {
        java.util.Map<Outcome, Long> m =
            outcomes.computeIfAbsent(c.kind(), k -> new java.util.EnumMap<>(Outcome.class));
        for (java.util.Map.Entry<Outcome, Long> e : c.outcomes().entrySet()) {
          m.merge(e.getKey(), e.getValue(), Long::sum);
        }
        retries.merge(c.kind(), c.retries(), Long::sum);
        hists.computeIfAbsent(c.kind(), k -> new LatencyHistogram()).add(c.latency());
      }
    }
    java.util.List<CallerResult> callers = new java.util.ArrayList<>();
    for (CallerKind k : outcomes.keySet()) {
      callers.add(new CallerResult(k, outcomes.get(k), retries.get(k), hists.get(k)));
    }
    RunResult last = runs.get(runs.size() - 1);
    return new RunResult(
        runs.get(0).workload(),
        elapsed,
        callers,
        new VmaLockStats(success, abort, retry, miss),
        violations,
        vs,
        leaks,
        ls,
        last.mapCount());
  }

  /**
   * Whether the run found neither a violation nor a leaked lock.
   *
   * @return true when both counts are 0
   */
  public boolean clean() {
    return violations == 0 && leaks == 0;
  }

  /**
   * The result of one caller.
   *
   * @param kind the caller
   * @return its result, or null when it was not in the mix
   */
  public CallerResult caller(CallerKind kind) {
    for (CallerResult c : callers) {
      if (c.kind() == kind) {
        return c;
      }
    }
    return null;
  }

  /**
   * Total writer operations per second.
   *
   * @return the rate
   */
  public double writerOpsPerSecond() {
    double s = 0;
    for (CallerResult c : callers) {
      if (c.kind().isWriter()) {
        s += c.opsPerSecond(elapsedNanos);
      }
    }
    return s;
  }

  /**
   * Total time writers spent in their calls (waiting for the mmap write lock and readers included),
   * in milliseconds, summed over writer threads.
   *
   * @return the time
   */
  public double writerWaitMillis() {
    double ns = 0;
    for (CallerResult c : callers) {
      if (c.kind().isWriter()) {
        ns += c.latency().mean() * c.latency().totalCount();
      }
    }
    return ns / 1e6;
  }
}
