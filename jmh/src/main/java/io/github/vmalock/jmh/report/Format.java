package io.github.vmalock.jmh.report;

import java.util.Locale;

/** Number formats of the results page: three significant digits, fixed locale. */
final class Format {
  private Format() {}

  /** Nanoseconds with up to three significant digits ({@code 0.412}, {@code 12.3}, {@code 456}). */
  static String ns(double ns) {
    if (Double.isNaN(ns)) {
      return "";
    }
    double abs = Math.abs(ns);
    String f = abs >= 100 ? "%.0f" : abs >= 10 ? "%.1f" : abs >= 1 ? "%.2f" : "%.3f";
    return String.format(Locale.ROOT, f, ns);
  }

  /** A rate with an SI prefix ({@code 81.2 M}). */
  static String rate(double perSec) {
    if (Double.isNaN(perSec)) {
      return "";
    }
    if (perSec >= 1e9) {
      return String.format(Locale.ROOT, "%.3g G", perSec / 1e9);
    }
    if (perSec >= 1e6) {
      return String.format(Locale.ROOT, "%.3g M", perSec / 1e6);
    }
    if (perSec >= 1e3) {
      return String.format(Locale.ROOT, "%.3g k", perSec / 1e3);
    }
    return String.format(Locale.ROOT, "%.3g", perSec);
  }

  /** Bytes per operation, or empty without the gc profiler. */
  static String bytes(double b) {
    if (Double.isNaN(b)) {
      return "";
    }
    return b < 10 ? String.format(Locale.ROOT, "%.3f", b) : String.format(Locale.ROOT, "%.0f", b);
  }

  /** A ratio as {@code 0.42x}. */
  static String ratio(double r) {
    return Double.isNaN(r) ? "" : String.format(Locale.ROOT, "%.2fx", r);
  }

  /**
   * A target as written: {@code 0.5}, {@code 5.0}; one with more than one decimal to two ({@code
   * 2.67}).
   */
  static String ratioTarget(double t) {
    return Math.rint(t * 10) == t * 10 ? Double.toString(t) : String.format(Locale.ROOT, "%.2f", t);
  }
}
