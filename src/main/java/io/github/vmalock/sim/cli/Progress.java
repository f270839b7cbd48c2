package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.world.World;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress line on standard error: rewritten in place ({@code \r}) while a timed run goes on,
 * cleared at the end. Shown only when asked for (a run longer than 2 s, a terminal, no {@code
 * --quiet}): see {@link #wanted}.
 */
final class Progress implements Simulator.ProgressListener {
  private final PrintWriter err;
  private final String prefix;
  private int lastLength;

  Progress(PrintWriter err, String prefix) {
    this.err = err;
    this.prefix = prefix;
  }

  /** Progress is shown for runs longer than 2 s, when not quiet and stderr is a terminal. */
  static boolean wanted(boolean quiet, long totalMillis) {
    return !quiet && totalMillis > 2000 && System.console() != null;
  }

  @Override
  public void progress(World world, long elapsedNanos, long totalNanos, long ops) {
    String line =
        String.format(
            Locale.ROOT,
            "%s%-22s %5.1f/%.1f s  %,d ops",
            prefix,
            world.label(),
            elapsedNanos / 1e9,
            totalNanos / 1e9,
            ops);
    err.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
    err.flush();
    lastLength = line.length();
  }

  void clear() {
    if (lastLength > 0) {
      err.print("\r" + " ".repeat(lastLength) + "\r");
      err.flush();
      lastLength = 0;
    }
  }
}
