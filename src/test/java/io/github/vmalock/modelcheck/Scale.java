package io.github.vmalock.modelcheck;

/** The test size setting: system property {@code vmalock.scale}, {@code small} or {@code large}. */
final class Scale {
  private Scale() {}

  /** {@code small} in the default scale, {@code large} with {@code -Dvmalock.scale=large}. */
  static int pick(int small, int large) {
    return "large".equals(System.getProperty("vmalock.scale", "small")) ? large : small;
  }

  /**
   * The interleaving part of a Lincheck failure message; the detailed per-call trace follows it
   * only with {@code -Dvmalock.modelcheck.fullTrace=true}.
   */
  static String trace(String message) {
    int cut = message.indexOf("Detailed trace:");
    return cut < 0 || Boolean.getBoolean("vmalock.modelcheck.fullTrace")
        ? message
        : message.substring(0, cut);
  }
}
