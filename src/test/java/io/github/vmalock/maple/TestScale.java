package io.github.vmalock.maple;

/** The test size setting: system property {@code vmalock.scale}, {@code small} or {@code large}. */
final class TestScale {
  private TestScale() {}

  /** True when {@code -Dvmalock.scale=large} (the documented long run). */
  static boolean large() {
    return "large".equals(System.getProperty("vmalock.scale", "small"));
  }

  /** {@code small} in the default scale, {@code large} with {@code -Dvmalock.scale=large}. */
  static int pick(int small, int large) {
    return large() ? large : small;
  }
}
