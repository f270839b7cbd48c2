package io.github.vmalock.rcu;

/**
 * The {@code vmalock.scale} setting for this package's tests: {@code small} (default) or {@code
 * large}.
 */
final class TestScale {
  private TestScale() {}

  static boolean large() {
    return "large".equals(System.getProperty("vmalock.scale", "small").trim());
  }

  /** {@code small} in the default run, {@code large} in the documented long run. */
  static int pick(int small, int large) {
    return large() ? large : small;
  }
}
