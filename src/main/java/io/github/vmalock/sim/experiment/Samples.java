package io.github.vmalock.sim.experiment;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One figure measured once per round: its median, its range, and whether it is significant.
 *
 * <p>The spread is half the range over rounds ({@code (max - min) / 2}); the figure is shown as
 * {@code median ± spread}. A ratio is significant when its spread is smaller than its effect,
 * {@code |median - 1|}: a ratio of 1.2 ± 0.3 is printed as not significant.
 */
public final class Samples {
  private final List<Double> values = new ArrayList<>();

  /** Creates an empty set. */
  public Samples() {}

  /**
   * Adds one round's value.
   *
   * @param v the value (NaN is kept out)
   */
  public void add(double v) {
    if (!Double.isNaN(v)) {
      values.add(v);
    }
  }

  /**
   * The number of values.
   *
   * @return the count
   */
  public int count() {
    return values.size();
  }

  /**
   * The median.
   *
   * @return the median, NaN if empty
   */
  public double median() {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = sorted();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  /**
   * The smallest value.
   *
   * @return the minimum, NaN if empty
   */
  public double min() {
    return values.isEmpty() ? Double.NaN : Collections.min(values);
  }

  /**
   * The largest value.
   *
   * @return the maximum, NaN if empty
   */
  public double max() {
    return values.isEmpty() ? Double.NaN : Collections.max(values);
  }

  /**
   * Half the range.
   *
   * @return {@code (max - min) / 2}, NaN if empty
   */
  public double spread() {
    return (max() - min()) / 2;
  }

  /**
   * Whether a ratio's spread is smaller than its effect ({@code |median - 1|}).
   *
   * @return true if significant
   */
  public boolean significantRatio() {
    double m = median();
    return count() > 0 && Double.isFinite(m) && spread() < Math.abs(m - 1);
  }

  /**
   * The values in the order they were added.
   *
   * @return a copy
   */
  public List<Double> values() {
    return new ArrayList<>(values);
  }

  private List<Double> sorted() {
    List<Double> s = new ArrayList<>(values);
    Collections.sort(s);
    return s;
  }
}
