package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one cache miss costs on this machine, by working-set size: a calibration for the lookup
 * benchmarks, not a measurement of the model. Each operation is one load whose address depends on
 * the previous load (a pointer chase through one {@code int} per 64-byte line of an array, the
 * lines visited in one random cycle), so no two misses overlap and the time per operation is the
 * latency of a load that hits wherever a working set of that size lives: the caches, or memory
 * (with the page-table walks of 4 KiB pages).
 *
 * <p>A lookup in a tree is such a chain: each level's node address comes from the level above, and
 * the found VMA's from the leaf. So when a lookup's time grows with the address space, this
 * benchmark says what part of the growth the machine's memory explains: {@code levels missed x
 * latency at that working set}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MemoryLatencyBench {
  private static final int LINE_INTS = 64 / Integer.BYTES;

  /** The chain of one working-set size. */
  @State(Scope.Thread)
  public static class Chain {
    /** The working set, in KiB (a power of two, at least 1). */
    @Param({"64", "512", "2048", "8192", "32768", "131072"})
    public int size;

    int[] next;
    int pos;

    /**
     * Links every 64-byte line of a {@code size} KiB array into one cycle in a random order (a
     * Fisher-Yates shuffle of the lines, each linked to the next), and checks that the cycle visits
     * every line.
     */
    @Setup(Level.Trial)
    public void setUp() {
      if (size < 1 || Integer.bitCount(size) != 1) {
        throw new IllegalArgumentException("working set must be a power of two KiB: " + size);
      }
      int lines = size * 1024 / 64;
      int[] order = new int[lines];
      for (int i = 0; i < lines; i++) {
        order[i] = i;
      }
      SplittableRandom rnd = new SplittableRandom(MmLayout.SEED);
      for (int i = lines - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      next = new int[lines * LINE_INTS];
      for (int i = 0; i < lines; i++) {
        next[order[i] * LINE_INTS] = order[(i + 1) % lines] * LINE_INTS;
      }
      int p = 0;
      int steps = 0;
      do {
        p = next[p];
        steps++;
      } while (p != 0);
      if (steps != lines) {
        throw new IllegalStateException("the chain visits " + steps + " of " + lines + " lines");
      }
      pos = 0;
    }
  }

  /**
   * One dependent load.
   *
   * @return the next position, which JMH consumes and the next operation starts from
   */
  @Benchmark
  public int chase(Chain chain) {
    int p = chain.next[chain.pos];
    chain.pos = p;
    return p;
  }
}
