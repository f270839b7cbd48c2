package io.github.vmalock.sim.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Parses durations such as {@code 500ms}, {@code 3s}, {@code 1.5s}, {@code 2m}, or a plain number
 * of seconds.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  /** Creates the converter. */
  public DurationConverter() {}

  /**
   * Converts a value.
   *
   * @param value the option's text
   * @return the duration
   * @throws CommandLine.TypeConversionException saying what was wrong with the text
   */
  @Override
  public Duration convert(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    double scaleNanos;
    String num;
    if (v.endsWith("ms")) {
      scaleNanos = 1e6;
      num = v.substring(0, v.length() - 2);
    } else if (v.endsWith("s")) {
      scaleNanos = 1e9;
      num = v.substring(0, v.length() - 1);
    } else if (v.endsWith("m")) {
      scaleNanos = 60e9;
      num = v.substring(0, v.length() - 1);
    } else {
      scaleNanos = 1e9;
      num = v;
    }
    double d;
    try {
      d = Double.parseDouble(num.trim());
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration (examples: 500ms, 3s, 1.5s, 2m)");
    }
    if (!(d > 0) || Double.isInfinite(d) || d * scaleNanos > 24 * 3600e9) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a positive duration of at most 24 hours");
    }
    return Duration.ofNanos((long) (d * scaleNanos));
  }
}
