package io.github.vmalock.sim.report;

import java.util.Arrays;

/**
 * A histogram of non-negative {@code long} values (latencies in nanoseconds) with a relative error
 * below 1%: the simulator's own, so that the library's classes need no optional dependency at run
 * time.
 *
 * <p>Values below 256 are counted exactly; a larger value falls in a bucket given by the position
 * of its highest set bit and the 7 bits below it, so each bucket's width is at most 1/128 of its
 * lowest value. Percentiles report a bucket's highest value (never below the true percentile, at
 * most 0.8% above it); the maximum, the minimum, the count and the mean are exact.
 *
 * <p>Not thread-safe: a histogram is written by one thread (a simulated task records its own calls)
 * and read, or merged with {@link #add}, after that thread has been joined.
 *
 * <pre>{@code
 * LatencyHistogram h = new LatencyHistogram();
 * h.record(1_250);
 * h.record(980_000);
 * double p99Micros = h.valueAtPercentile(99) / 1e3;
 * }</pre>
 */
public final class LatencyHistogram {
  /*
   * Implementation notes.
   *
   * Index layout: [0, 256) holds the values 0-255 one per slot. From 256 on, a value v with its
   * highest set bit at position e (8 <= e <= 62) and mantissa m = v >>> (e - 7) in [128, 256)
   * goes to 256 + (e - 8) * 128 + (m - 128). The bucket covers [m << (e - 7), ((m + 1) << (e - 7))
   * - 1]. Long.MAX_VALUE has e = 62, so the largest index is 256 + 54 * 128 + 127 = 7295.
   *
   * The counts array grows to the highest index used, so a histogram of microsecond latencies
   * holds a few hundred slots, not 7,296.
   */

  private static final int EXACT = 256;
  private static final int SUB_BITS = 7;
  private static final int SUB = 1 << SUB_BITS;

  private long[] counts = new long[EXACT];
  private long total;
  private long sum;
  private long min = Long.MAX_VALUE;
  private long max;

  /** Creates an empty histogram. */
  public LatencyHistogram() {}

  static int indexOf(long v) {
    if (v < EXACT) {
      return (int) v;
    }
    int e = 63 - Long.numberOfLeadingZeros(v);
    int m = (int) (v >>> (e - SUB_BITS));
    return EXACT + (e - 8) * SUB + (m - SUB);
  }

  static long lowestOf(int index) {
    if (index < EXACT) {
      return index;
    }
    int e = (index - EXACT) / SUB + 8;
    long m = (index - EXACT) % SUB + SUB;
    return m << (e - SUB_BITS);
  }

  static long highestOf(int index) {
    if (index < EXACT) {
      return index;
    }
    int e = (index - EXACT) / SUB + 8;
    long m = (index - EXACT) % SUB + SUB;
    long hi = ((m + 1) << (e - SUB_BITS)) - 1;
    return hi < 0 ? Long.MAX_VALUE : hi; // the last bucket's end is past Long.MAX_VALUE
  }

  /**
   * Counts one value.
   *
   * @param value a latency, at least 0
   * @throws IllegalArgumentException if {@code value} is negative (the histogram is unchanged)
   */
  public void record(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("latency must not be negative, was " + value);
    }
    int i = indexOf(value);
    if (i >= counts.length) {
      counts = Arrays.copyOf(counts, Math.max(i + 1, counts.length * 2));
    }
    counts[i]++;
    total++;
    sum += value;
    if (value < min) {
      min = value;
    }
    if (value > max) {
      max = value;
    }
  }

  /**
   * Adds every value of {@code other} to this histogram.
   *
   * @param other another histogram, unchanged (it may be this one)
   * @throws IllegalArgumentException if {@code other} is null
   */
  public void add(LatencyHistogram other) {
    if (other == null) {
      throw new IllegalArgumentException("histogram to add must not be null");
    }
    long[] theirs = other.counts.clone();
    if (theirs.length > counts.length) {
      counts = Arrays.copyOf(counts, theirs.length);
    }
    for (int i = 0; i < theirs.length; i++) {
      counts[i] += theirs[i];
    }
    total += other.total;
    sum += other.sum;
    min = Math.min(min, other.min); // an empty histogram's min is Long.MAX_VALUE: no effect
    max = Math.max(max, other.max);
  }

  /**
   * Number of values recorded.
   *
   * @return the count
   */
  public long totalCount() {
    return total;
  }

  /**
   * The largest value recorded, exactly.
   *
   * @return the maximum, 0 when empty
   */
  public long max() {
    return max;
  }

  /**
   * The smallest value recorded, exactly.
   *
   * @return the minimum, 0 when empty
   */
  public long min() {
    return total == 0 ? 0 : min;
  }

  /**
   * The exact mean of the values recorded.
   *
   * @return the mean, 0 when empty
   */
  public double mean() {
    return total == 0 ? 0 : (double) sum / total;
  }

  /**
   * The value below which {@code percentile} percent of the values fall: the highest value of the
   * bucket holding the value of that rank (HdrHistogram reports the same), so at most 0.8% above
   * the true value; never above {@link #max()}.
   *
   * @param percentile in [0, 100]
   * @return the value, 0 when empty
   * @throws IllegalArgumentException if {@code percentile} is outside [0, 100]
   */
  public long valueAtPercentile(double percentile) {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be within [0, 100], was " + percentile);
    }
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(highestOf(i), max);
      }
    }
    return max;
  }

  /**
   * Number of values in {@code [low, high]}, at bucket resolution: a bucket counts when its range
   * overlaps {@code [low, high]} (as HdrHistogram's {@code getCountBetweenValues}).
   *
   * @param low lowest value, at least 0
   * @param high highest value, at least {@code low}
   * @return the count
   * @throws IllegalArgumentException if {@code low} is negative or above {@code high}
   */
  public long countBetween(long low, long high) {
    if (low < 0 || high < low) {
      throw new IllegalArgumentException("need 0 <= low <= high, was " + low + ", " + high);
    }
    int from = indexOf(low);
    int to = Math.min(indexOf(high), counts.length - 1);
    long n = 0;
    for (int i = from; i <= to; i++) {
      n += counts[i];
    }
    return n;
  }

  @Override
  public String toString() {
    return "LatencyHistogram[count="
        + total
        + ", min="
        + min()
        + ", mean="
        + String.format("%.1f", mean())
        + ", max="
        + max
        + "]";
  }
}
