package io.github.vmalock.sim.callers;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thread-safe record of what went wrong in a run: invariant violations (a caller saw something the
 * protocol forbids, or the model threw) and leaked locks (a caller returned still holding a lock,
 * or a VMA's reference count was not back to 1 at the end). Keeps the counts and the first {@link
 * #MAX_SAMPLES} messages of each.
 */
public final class Violations {
  /** How many messages of each kind are kept. */
  public static final int MAX_SAMPLES = 20;

  private final AtomicLong violations = new AtomicLong();
  private final AtomicLong leaks = new AtomicLong();
  private final AtomicInteger kept = new AtomicInteger();
  private final AtomicInteger keptLeaks = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> leakSamples = new ConcurrentLinkedQueue<>();

  /** Creates an empty record. */
  public Violations() {}

  /**
   * Records an invariant violation.
   *
   * @param where the caller or check that saw it
   * @param what what was seen
   */
  public void violation(String where, String what) {
    violations.incrementAndGet();
    if (kept.getAndIncrement() < MAX_SAMPLES) {
      samples.add(where + ": " + what);
    }
  }

  /**
   * Records a leaked lock.
   *
   * @param where the caller or check that found it
   * @param what which lock
   */
  public void leak(String where, String what) {
    leaks.incrementAndGet();
    if (keptLeaks.getAndIncrement() < MAX_SAMPLES) {
      leakSamples.add(where + ": " + what);
    }
  }

  /**
   * Number of violations recorded.
   *
   * @return the count
   */
  public long violationCount() {
    return violations.get();
  }

  /**
   * Number of leaked locks recorded.
   *
   * @return the count
   */
  public long leakCount() {
    return leaks.get();
  }

  /**
   * The first recorded violation messages.
   *
   * @return at most {@link #MAX_SAMPLES} messages
   */
  public List<String> violationSamples() {
    return new ArrayList<>(samples);
  }

  /**
   * The first recorded leak messages.
   *
   * @return at most {@link #MAX_SAMPLES} messages
   */
  public List<String> leakSamples() {
    return new ArrayList<>(leakSamples);
  }
}
