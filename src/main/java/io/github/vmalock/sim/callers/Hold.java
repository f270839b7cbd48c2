package io.github.vmalock.sim.callers;

import java.util.Locale;

/**
 * What one call of a caller spends while it holds what it holds (its VMA read lock, or {@code
 * mmap_lock} in a fallback or a world without per-VMA locks): CPU work, and, for a fraction of
 * calls, time off the CPU. For {@code /proc/pid/maps} the CPU work is per line and the off-CPU time
 * falls once per read, at a random line (see {@link ProcMapsReader}).
 *
 * @param cpuNanos busy-wait time per call (per line for {@code /proc/pid/maps}), at least 0
 * @param offCpuNanos park time when a call goes off the CPU, at least 0
 * @param offCpuRate fraction in [0, 1] of calls that go off the CPU
 */
public record Hold(long cpuNanos, long offCpuNanos, double offCpuRate) {

  /** Nothing: the call does only the model's own work. */
  public static final Hold NONE = new Hold(0, 0, 0);

  /** The longest time one hold may ask for, CPU or off-CPU: 10 s. */
  public static final long MAX_NANOS = 10_000_000_000L;

  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException naming the component and its value if one is out of range
   */
  public Hold {
    checkNanos("CPU time", cpuNanos);
    checkNanos("off-CPU time", offCpuNanos);
    if (!(offCpuRate >= 0 && offCpuRate <= 1)) {
      throw new IllegalArgumentException("off-CPU rate must be within [0, 1], was " + offCpuRate);
    }
  }

  /**
   * A hold with CPU work only.
   *
   * @param cpuNanos busy-wait time per call
   * @return the hold
   */
  public static Hold cpu(long cpuNanos) {
    return new Hold(cpuNanos, 0, 0);
  }

  /**
   * Whether this hold costs nothing.
   *
   * @return true for {@link #NONE} and its equals
   */
  public boolean isNone() {
    return cpuNanos == 0 && (offCpuNanos == 0 || offCpuRate == 0);
  }

  /**
   * Parses {@code CPU[,OFFCPU[@RATE]]}, for example {@code 1us}, {@code 1us,3ms@0.25}, {@code
   * 0,3ms} (rate 1 when left out).
   *
   * @param text the text
   * @return the hold
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Hold parse(String text) {
    String t = text.trim();
    String[] parts = t.split(",", -1);
    if (parts.length > 2 || t.isEmpty()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a hold: expected CPU[,OFFCPU[@RATE]], e.g. 1us or 1us,3ms@0.5");
    }
    long cpu = parseNanos(parts[0]);
    long off = 0;
    double rate = 0;
    if (parts.length == 2) {
      String[] offRate = parts[1].split("@", -1);
      if (offRate.length > 2) {
        throw new IllegalArgumentException("'" + text + "': more than one '@' in the off-CPU part");
      }
      off = parseNanos(offRate[0]);
      rate = 1;
      if (offRate.length == 2) {
        try {
          rate = Double.parseDouble(offRate[1].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "'" + text + "': the rate '" + offRate[1] + "' is not a number in [0, 1]");
        }
      }
    }
    return new Hold(cpu, off, rate);
  }

  /**
   * Parses a duration with a unit ({@code ns}, {@code us}, {@code ms}, {@code s}), or {@code 0}.
   *
   * @param text for example {@code 750ns}, {@code 1.5us}, {@code 3ms}
   * @return nanoseconds, rounded down
   * @throws IllegalArgumentException naming the text if it has no unit, is negative, is not a
   *     number or is above {@link #MAX_NANOS}
   */
  public static long parseNanos(String text) {
    String v = text.trim().toLowerCase(Locale.ROOT);
    if (v.equals("0")) {
      return 0;
    }
    double scale;
    int cut;
    if (v.endsWith("ns")) {
      scale = 1;
      cut = 2;
    } else if (v.endsWith("us")) {
      scale = 1e3;
      cut = 2;
    } else if (v.endsWith("ms")) {
      scale = 1e6;
      cut = 2;
    } else if (v.endsWith("s")) {
      scale = 1e9;
      cut = 1;
    } else {
      throw new IllegalArgumentException(
          "'" + text + "' is not a time: give a unit, e.g. 750ns, 1.5us, 3ms, 1s (or 0)");
    }
    double d;
    try {
      d = Double.parseDouble(v.substring(0, v.length() - cut).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a time: give a number and a unit, e.g. 750ns, 1.5us, 3ms");
    }
    if (!(d >= 0) || d * scale > MAX_NANOS) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a time between 0 and " + (MAX_NANOS / 1_000_000_000L) + " s");
    }
    return (long) (d * scale);
  }

  /**
   * Formats nanoseconds with the largest unit that keeps them readable.
   *
   * @param nanos a time
   * @return for example {@code 750ns}, {@code 1.5us}, {@code 3ms}
   */
  public static String formatNanos(long nanos) {
    if (nanos == 0) {
      return "0";
    }
    if (nanos % 1_000_000_000L == 0) {
      return nanos / 1_000_000_000L + "s";
    }
    if (nanos >= 1_000_000 && nanos % 1_000 == 0) {
      return trim(nanos / 1e6) + "ms";
    }
    if (nanos >= 1_000) {
      return trim(nanos / 1e3) + "us";
    }
    return nanos + "ns";
  }

  private static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.3f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static void checkNanos(String what, long nanos) {
    if (nanos < 0 || nanos > MAX_NANOS) {
      throw new IllegalArgumentException(
          what
              + " must be between 0 and "
              + (MAX_NANOS / 1_000_000_000L)
              + " s, was "
              + nanos
              + " ns");
    }
  }

  @Override
  public String toString() {
    if (offCpuNanos == 0 || offCpuRate == 0) {
      return formatNanos(cpuNanos);
    }
    return formatNanos(cpuNanos)
        + ","
        + formatNanos(offCpuNanos)
        + (offCpuRate == 1 ? "" : "@" + trim(offCpuRate));
  }
}
