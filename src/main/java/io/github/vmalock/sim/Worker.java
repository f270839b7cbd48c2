package io.github.vmalock.sim;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.KernelCaller;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.Violations;
import io.github.vmalock.sim.report.LatencyHistogram;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One simulated task of a {@link Simulator} run: a thread that calls a picked {@link KernelCaller}
 * in a loop until the run stops, counting outcomes and timing a sample of calls, and checks after
 * every call that it holds nothing.
 *
 * <p>Its counters and histograms are confined to its thread while it runs; the runner reads them
 * after {@link Thread#join}, which orders every write of the worker before the read.
 */
final class Worker implements Runnable {
  final Simulator.Run run;
  final int index;
  final Simulator.Picker picker;
  final boolean writer;
  final Thread thread;
  final AtomicLong done = new AtomicLong();
  final Map<CallerKind, Stats> stats = new EnumMap<>(CallerKind.class);

  static final class Stats {
    final long[] outcomes = new long[Outcome.values().length];
    final LatencyHistogram latency = new LatencyHistogram();
  }

  Worker(Simulator.Run run, int index, Simulator.Picker picker, boolean writer) {
    this.run = run;
    this.index = index;
    this.picker = picker;
    this.writer = writer;
    for (CallerKind k : picker.kinds) {
      stats.put(k, new Stats());
    }
    this.thread = new Thread(this, (writer ? "sim-writer-" : "sim-reader-") + index);
    this.thread.setDaemon(true);
  }

  // Filled by run() on the worker's own thread before its first call, then read only by it.
  private SplittableRandom rnd;
  private MmStruct mm;
  private ReentrantReadWriteLock mmapLock;
  private Violations violations;
  private boolean debug;
  private Stats[] byKind;
  private KernelCaller[] callerByKind;
  private String lastLeak;

  @Override
  public void run() {
    rnd = new SplittableRandom(Simulator.threadSeed(run.workload.seed(), index));
    mm = run.ctx.mm();
    mmapLock = mm.mmapLock();
    violations = run.ctx.violations();
    debug = run.workload.debug();
    long limit = run.workload.opsPerThread();
    boolean counted = limit > 0;
    byKind = new Stats[CallerKind.values().length];
    callerByKind = new KernelCaller[byKind.length];
    for (CallerKind k : picker.kinds) {
      byKind[k.ordinal()] = stats.get(k);
      callerByKind[k.ordinal()] = run.callers.get(k);
    }
    try {
      run.start.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (long i = 0; ; i++) {
      if (run.stopped()) {
        break;
      }
      // The neighbour mm's writers run until the main run stops (stopped() above).
      if (counted && run.neighbourOf == null) {
        if (writer
            ? (run.readersDone || (run.workload.threads() == 0 && i >= limit))
            : i >= limit) {
          break;
        }
      }
      // Writers time every call (their tail is what experiments report); readers one in
      // READER_SAMPLE, so that two clock reads do not dominate a sub-microsecond fault.
      oneCall(writer || (i & (Simulator.READER_SAMPLE - 1)) == 0);
      done.lazySet(i + 1);
    }
  }

  /**
   * One call of a picked caller, its outcome counted, its latency recorded if {@code sampled}, then
   * the check that it returned holding nothing. A method of its own so that the JIT compiles it as
   * a whole method (the loop in {@link #run} runs only as on-stack replacement).
   */
  private void oneCall(boolean sampled) {
    CallerKind k = picker.pick(rnd);
    KernelCaller caller = callerByKind[k.ordinal()];
    Outcome o;
    long t0 = sampled ? System.nanoTime() : 0;
    try {
      o = caller.call(rnd);
    } catch (RuntimeException | Error e) {
      o = Outcome.ERROR;
      violations.violation(caller.name(), e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    Stats s = byKind[k.ordinal()];
    s.outcomes[o.ordinal()]++;
    if (sampled) {
      s.latency.record(Math.max(System.nanoTime() - t0, 0));
    }
    lastLeak = checkNothingHeld(mm, mmapLock, caller.name(), violations, debug, lastLeak);
  }

  /**
   * Reports a lock the thread still holds after a call. A VMA read reference cannot be given back
   * by the runner, so it stays held: it is reported again only when what the thread holds changes.
   * Returns the last reported description.
   */
  private static String checkNothingHeld(
      MmStruct mm,
      ReentrantReadWriteLock lock,
      String who,
      Violations v,
      boolean debug,
      String lastLeak) {
    int reads = lock.getReadHoldCount();
    if (reads > 0 || lock.isWriteLockedByCurrentThread()) {
      v.leak(
          who,
          "returned holding mmap_lock (read holds "
              + reads
              + ", write "
              + lock.isWriteLockedByCurrentThread()
              + ")");
      for (int r = 0; r < reads; r++) {
        mm.mmapReadUnlock();
      }
      if (lock.isWriteLockedByCurrentThread()) {
        mm.mmapWriteUnlock();
      }
      return lastLeak;
    }
    if (debug) {
      try {
        mm.assertNoLocksHeld();
      } catch (IllegalStateException e) {
        String held = e.getMessage();
        if (!held.equals(lastLeak)) {
          v.leak(who, "returned holding a lock: " + held);
        }
        return held;
      }
    }
    return null;
  }
}
