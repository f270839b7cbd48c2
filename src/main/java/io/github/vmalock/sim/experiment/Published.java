package io.github.vmalock.sim.experiment;

/**
 * A published figure an experiment compares itself with.
 *
 * @param value the published ratio (in the experiment's direction), or NaN where the source states
 *     a direction without a figure
 * @param unit what the value is, for example {@code "worst-case latency, before / after"}
 * @param source where it was published (list message, URL), with its author and date
 * @param machine the machine it was measured on
 * @param direction +1 if the source says the series' side is better (the ratio is above 1), -1 if
 *     worse
 */
public record Published(double value, String unit, String source, String machine, int direction) {
  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException if a text is null or direction is not +1 or -1
   */
  public Published {
    if (unit == null || source == null || machine == null) {
      throw new IllegalArgumentException("unit, source and machine must not be null");
    }
    if (direction != 1 && direction != -1) {
      throw new IllegalArgumentException("direction must be +1 or -1, was " + direction);
    }
  }
}
