package io.github.vmalock.sim.experiment;

import io.github.vmalock.sim.report.LatencyHistogram;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small driver for the experiments that need roles the {@link io.github.vmalock.sim.Simulator}'s
 * mix does not express (a writer on its own arena, readers of the whole maps file): named groups of
 * threads, each running one operation in a loop until a shared deadline, timing one call in {@code
 * sampleEvery} into a per-thread histogram that is merged after the join.
 *
 * <p>Threads start together on a barrier; the deadline is read once per call (an operation that
 * parks finishes its call). The first exception any thread throws stops every thread and is
 * rethrown by {@link #run}, wrapped, after all are joined: a model bug is never a number.
 */
final class Loops {
  private Loops() {}

  /** One operation of a group; called repeatedly by each of the group's threads. */
  @FunctionalInterface
  interface Op {
    /**
     * Performs one call.
     *
     * @param thread the thread's index within its group
     * @param rnd the thread's own random source
     */
    void call(int thread, SplittableRandom rnd);
  }

  /**
   * A group of threads running one operation.
   *
   * @param name the group's name in results
   * @param threads how many threads (at least 1)
   * @param sampleEvery time one call in this many (1: every call)
   * @param op the operation
   */
  record Group(String name, int threads, int sampleEvery, Op op) {
    Group {
      if (threads < 1 || sampleEvery < 1) {
        throw new IllegalArgumentException("threads and sampleEvery must be at least 1");
      }
    }
  }

  /**
   * What one group did.
   *
   * @param calls calls completed by all of its threads
   * @param latency the timed calls' latencies in nanoseconds
   * @param elapsedNanos the run's length
   */
  record Stats(long calls, LatencyHistogram latency, long elapsedNanos) {
    /**
     * Calls per second.
     *
     * @return the rate
     */
    double perSecond() {
      return calls * 1e9 / elapsedNanos;
    }

    /**
     * A percentile of the timed calls, in milliseconds.
     *
     * @param p the percentile, 0-100
     * @return the value, 0 if nothing was timed
     */
    double millis(double p) {
      return latency.totalCount() == 0 ? 0 : latency.valueAtPercentile(p) / 1e6;
    }

    /**
     * The longest timed call, in milliseconds.
     *
     * @return the value, 0 if nothing was timed
     */
    double worstMillis() {
      return latency.totalCount() == 0 ? 0 : latency.max() / 1e6;
    }
  }

  /**
   * Runs the groups for {@code length}.
   *
   * @param length how long
   * @param seed seeds the threads' random sources (thread {@code i} of group {@code g} gets its own
   *     split)
   * @param groups the groups
   * @return per group name, its stats
   * @throws IllegalStateException wrapping the first exception a thread threw
   */
  static Map<String, Stats> run(Duration length, long seed, List<Group> groups) {
    int total = groups.stream().mapToInt(Group::threads).sum();
    CyclicBarrier start = new CyclicBarrier(total + 1);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] deadline = new long[1];
    List<Thread> threads = new ArrayList<>();
    Map<String, List<LatencyHistogram>> hists = new LinkedHashMap<>();
    Map<String, long[]> counts = new LinkedHashMap<>();
    SplittableRandom root = new SplittableRandom(seed);
    for (Group g : groups) {
      List<LatencyHistogram> hs = new ArrayList<>();
      long[] cs = new long[g.threads()];
      hists.put(g.name(), hs);
      counts.put(g.name(), cs);
      for (int i = 0; i < g.threads(); i++) {
        LatencyHistogram h = new LatencyHistogram();
        hs.add(h);
        int idx = i;
        SplittableRandom rnd = root.split();
        Thread t =
            new Thread(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure.compareAndSet(null, e);
                    stop.set(true);
                    return;
                  } catch (BrokenBarrierException e) {
                    stop.set(true);
                    return;
                  }
                  try {
                    long end = deadline[0];
                    long n = 0;
                    while (!stop.get() && System.nanoTime() < end) {
                      if (n % g.sampleEvery() == 0) {
                        long t0 = System.nanoTime();
                        g.op().call(idx, rnd);
                        h.record(Math.max(1, System.nanoTime() - t0));
                      } else {
                        g.op().call(idx, rnd);
                      }
                      n++;
                    }
                    cs[idx] = n;
                  } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                  }
                },
                g.name() + "-" + i);
        t.setDaemon(true);
        threads.add(t);
      }
    }
    threads.forEach(Thread::start);
    long t0;
    try {
      deadline[0] = System.nanoTime() + length.toNanos();
      t0 = System.nanoTime();
      start.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.set(true);
      throw new IllegalStateException("interrupted while starting the experiment's threads", e);
    } catch (BrokenBarrierException e) {
      stop.set(true);
      throw new IllegalStateException("experiment threads failed to start", failure.get());
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop.set(true);
        throw new IllegalStateException("interrupted while joining the experiment's threads", e);
      }
    }
    long elapsed = System.nanoTime() - t0;
    if (failure.get() != null) {
      throw new IllegalStateException(
          "an experiment thread failed: " + failure.get(), failure.get());
    }
    Map<String, Stats> out = new LinkedHashMap<>();
    for (Group g : groups) {
      LatencyHistogram merged = new LatencyHistogram();
      hists.get(g.name()).forEach(merged::add);
      long n = 0;
      for (long c : counts.get(g.name())) {
        n += c;
      }
      out.put(g.name(), new Stats(n, merged, elapsed));
    }
    return out;
  }
}
