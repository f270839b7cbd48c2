package io.github.vmalock.sim;

import io.github.vmalock.mm.VmaLockStats;
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
        ns += c.latency().getMean() * c.latency().getTotalCount();
      }
    }
    return ns / 1e6;
  }
}
