package io.github.vmalock.sim;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.sim.callers.BinderAlloc;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.KernelCaller;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.SimContext;
import io.github.vmalock.sim.callers.Violations;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.report.LatencyHistogram;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.PageTable;
import io.github.vmalock.sim.world.World;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The workload runner: builds an mm for the workload's world, maps the layout, starts the reader
 * and writer threads, and collects the report.
 *
 * <p>Each thread keeps its own counters and histograms (no shared hot counter), merged after the
 * run. After every call a thread checks it holds no {@code mmap_lock} (and, in debug mode, no VMA
 * read reference, through {@link MmStruct#assertNoLocksHeld()}); a lock still held is a leak, and a
 * leaked {@code mmap_lock} is released so that the run can go on. An exception thrown by a call is
 * an invariant violation. At the end the runner checks the mm is quiescent (every VMA's reference
 * count back to 1, {@code mmap_lock} free). A thread that does not finish within the workload's
 * stuck timeout after the expected end (a writer waiting forever for a leaked VMA reference) is
 * reported as a violation with its stack, and left behind as a daemon thread.
 *
 * <pre>{@code
 * RunResult r =
 *     Simulator.run(
 *         Workload.builder()
 *             .world(World.SERIES)
 *             .mix(Scenario.parseMix("page-fault=8,mmap=1,munmap=1"))
 *             .threads(2)
 *             .writers(1)
 *             .opsPerThread(100_000)
 *             .build());
 * assert r.clean(); // no violation, no leaked lock
 * }</pre>
 */
public final class Simulator {
  /*
   * Implementation notes.
   *
   * Each worker's counters and histograms are confined to its thread while it runs; the runner
   * reads them only after Thread.join has returned, which orders every write of the worker before
   * the read (no other synchronisation needed). The stop flags (stop, readersDone) are volatile:
   * the runner's write is seen by the workers' next check, so a worker finishes at most one call
   * after it. The progress counter is published with lazySet (a release store, no fence on the hot
   * path) and read with a volatile load by the progress listener, which only needs an approximate,
   * monotonic count. The start latch releases every worker at once, after the layout is mapped and
   * all threads exist. Violations and leaks go to Violations, whose counters are atomics: they are
   * rare, so a shared counter costs nothing measurable there.
   */

  /** Receives progress of a timed run, about five times a second, from the runner's thread. */
  @FunctionalInterface
  public interface ProgressListener {
    /**
     * Reports progress.
     *
     * @param world the world running
     * @param elapsedNanos time since the start
     * @param totalNanos the run's length
     * @param ops operations done so far, all threads
     */
    void progress(World world, long elapsedNanos, long totalNanos, long ops);
  }

  /**
   * Receives the run's address spaces at the end of a run, for checks from outside the runner (the
   * soak test recounts them): called on the runner's thread after every worker thread has finished
   * and the runner's own end-of-run checks ran, before the mms are closed; not called when a thread
   * was stuck (its mm may still change).
   */
  @FunctionalInterface
  interface EndOfRunHook {
    /**
     * Inspects the mms. Context: no simulated thread is running; the calling thread holds no lock.
     *
     * @param mm the workload's mm
     * @param neighbour the neighbour mm sharing the VMA cache ({@link Workload#neighbourWriters()}
     *     greater than 0), or null
     */
    void atEnd(MmStruct mm, MmStruct neighbour);
  }

  private Simulator() {}

  /**
   * Runs a workload.
   *
   * @param workload what to run
   * @return the report
   */
  public static RunResult run(Workload workload) {
    return run(workload, null);
  }

  /**
   * Runs a workload. Context: blocks the calling thread for the run's duration.
   *
   * @param workload what to run
   * @param progress receives progress of a timed run, or null
   * @return the report
   */
  public static RunResult run(Workload workload, ProgressListener progress) {
    return run(workload, progress, null);
  }

  /**
   * Runs a workload and hands its mms to {@code endOfRun} before closing them (see {@link
   * EndOfRunHook}). Context: blocks the calling thread for the run's duration.
   *
   * @param workload what to run
   * @param progress receives progress of a timed run, or null
   * @param endOfRun called once at the end of a run whose threads all finished, or null
   * @return the report
   */
  static RunResult run(Workload workload, ProgressListener progress, EndOfRunHook endOfRun) {
    Setup s = setUp(workload);
    long t0 = startAll(s);
    long total = workload.timed() ? workload.duration().toNanos() : 0;
    if (workload.timed()) {
      waitOut(s, t0, total, progress);
    }
    boolean stuck = !joinAll(s);
    long elapsed = System.nanoTime() - t0;
    if (stuck) {
      reportStuck(s);
    }
    boolean quiescent = !stuck && checkQuiescent(s.ctx);
    RunResult r = result(s, workload.timed() ? Math.min(elapsed, Math.max(total, 1)) : elapsed);
    if (endOfRun != null && !stuck) {
      endOfRun.atEnd(s.ctx.mm(), s.neighbour == null ? null : s.neighbour.mm());
    }
    closeMms(s, stuck, quiescent);
    return r;
  }

  /** Everything one run builds before its threads start. */
  private static final class Setup {
    final Workload workload;
    final SimContext ctx;

    /** The neighbour mm's context (sharing the VMA cache), or null. */
    final SimContext neighbour;

    final Map<CallerKind, KernelCaller> callers;
    final CountDownLatch start = new CountDownLatch(1);
    final Run run;
    final List<Worker> workers = new ArrayList<>();
    final List<Worker> neighbours = new ArrayList<>();

    Setup(
        Workload workload,
        SimContext ctx,
        SimContext neighbour,
        Map<CallerKind, KernelCaller> callers) {
      this.workload = workload;
      this.ctx = ctx;
      this.neighbour = neighbour;
      this.callers = callers;
      this.run = new Run(workload, ctx, callers, start);
    }
  }

  /** Builds the mm (and the neighbour's), maps the layout, creates the callers and the workers. */
  private static Setup setUp(Workload workload) {
    World world = workload.world();
    // One cache per run (immediate reuse): runs do not share objects, the neighbour mm does.
    VmAreaCache cache = new VmAreaCache();
    MmStruct mm =
        MmStruct.builder()
            .cache(cache)
            .lockMode(world.lockMode())
            .protocol(workload.variant().protocol())
            .debug(workload.debug())
            .writerWork(workload.cost().writerWork())
            .build();
    AddressLayout layout = new AddressLayout(workload.vmas());
    layout.populate(mm);
    SimContext ctx = SimContext.of(mm, world, layout, workload.cost());
    SimContext neighbour = null;
    if (workload.neighbourWriters() > 0) {
      MmStruct other =
          MmStruct.builder()
              .cache(cache)
              .lockMode(world.lockMode())
              .debug(workload.debug())
              .writerWork(workload.cost().writerWork())
              .build();
      layout.populate(other);
      neighbour =
          new SimContext(
              other, world, layout, new PageTable(layout), ctx.violations(), workload.cost());
    }
    BinderAlloc alloc = new BinderAlloc();
    Map<CallerKind, KernelCaller> callers = new EnumMap<>(CallerKind.class);
    for (CallerKind k : workload.mix().keySet()) {
      callers.put(k, k.create(ctx, alloc, workload.retryRate()));
    }
    Setup s = new Setup(workload, ctx, neighbour, callers);
    addWorkers(s);
    if (neighbour != null) {
      addNeighbourWriters(s, alloc);
    }
    return s;
  }

  /** The workload's reader threads, then its writer threads. */
  private static void addWorkers(Setup s) {
    Workload workload = s.workload;
    Picker readerPicker = new Picker(workload.mix(), false);
    Picker writerPicker = new Picker(workload.mix(), true);
    for (int i = 0; i < workload.threads(); i++) {
      s.workers.add(new Worker(s.run, i, readerPicker, false));
    }
    for (int i = 0; i < workload.writers(); i++) {
      s.workers.add(new Worker(s.run, workload.threads() + i, writerPicker, true));
    }
  }

  /** The neighbour mm's writers: {@code mmap}/{@code munmap} churn until the main run stops. */
  private static void addNeighbourWriters(Setup s, BinderAlloc alloc) {
    Map<CallerKind, Integer> churn = new EnumMap<>(CallerKind.class);
    churn.put(CallerKind.MMAP, 1);
    churn.put(CallerKind.MUNMAP, 1);
    Map<CallerKind, KernelCaller> nc = new EnumMap<>(CallerKind.class);
    nc.put(CallerKind.MMAP, CallerKind.MMAP.create(s.neighbour, alloc, 0));
    nc.put(CallerKind.MUNMAP, CallerKind.MUNMAP.create(s.neighbour, alloc, 0));
    Run nrun = new Run(s.workload, s.neighbour, nc, s.start);
    nrun.neighbourOf = s.run;
    int base = s.workload.threads() + s.workload.writers();
    for (int i = 0; i < s.workload.neighbourWriters(); i++) {
      s.neighbours.add(new Worker(nrun, base + i, new Picker(churn, true), true));
    }
  }

  /** Starts every thread and releases them at once; returns the start time. */
  private static long startAll(Setup s) {
    for (Worker w : s.workers) {
      w.thread.start();
    }
    for (Worker w : s.neighbours) {
      w.thread.start();
    }
    long t0 = System.nanoTime();
    s.start.countDown();
    return t0;
  }

  /** A timed run: sleeps to the deadline, reporting progress, then tells the workers to stop. */
  private static void waitOut(Setup s, long t0, long total, ProgressListener progress) {
    long deadline = t0 + total;
    for (long now = System.nanoTime(); now < deadline; now = System.nanoTime()) {
      sleepNanos(Math.min(deadline - now, 200_000_000L));
      if (progress != null) {
        progress.progress(
            s.workload.world(),
            Math.min(System.nanoTime() - t0, total),
            total,
            opsSoFar(s.workers));
      }
    }
    s.run.stop = true;
  }

  /**
   * Joins the readers, then tells the writers the readers are done and joins them, then stops and
   * joins the neighbour's writers, each within the stuck timeout; true if every thread finished.
   */
  private static boolean joinAll(Setup s) {
    long joinDeadline = System.nanoTime() + s.workload.stuckTimeout().toNanos();
    if (!s.workload.timed()) {
      joinDeadline += TimeUnit.MINUTES.toNanos(10);
    }
    boolean all = true;
    for (Worker w : s.workers) {
      if (!w.writer && !join(w.thread, joinDeadline)) {
        all = false;
      }
    }
    s.run.readersDone = true;
    for (Worker w : s.workers) {
      if (w.writer && !join(w.thread, joinDeadline)) {
        all = false;
      }
    }
    s.run.stop = true; // the neighbour's writers stop with this mm's threads
    for (Worker w : s.neighbours) {
      if (!join(w.thread, joinDeadline)) {
        all = false;
      }
    }
    return all;
  }

  /** Reports every thread still alive after the stuck timeout as a violation, with its stack. */
  private static void reportStuck(Setup s) {
    s.run.stop = true;
    List<Worker> all = new ArrayList<>(s.workers);
    all.addAll(s.neighbours);
    for (Worker w : all) {
      if (w.thread.isAlive()) {
        s.ctx
            .violations()
            .violation(w.thread.getName(), "stuck after the run: " + stackOf(w.thread));
      }
    }
  }

  /** The run's report: the workers' merged counts and histograms, the mm's counters. */
  private static RunResult result(Setup s, long elapsedNanos) {
    MmStruct mm = s.ctx.mm();
    Violations v = s.ctx.violations();
    return new RunResult(
        s.workload,
        elapsedNanos,
        merge(s.workers, s.callers),
        mm.vmaLockStats(),
        v.violationCount(),
        v.violationSamples(),
        v.leakCount(),
        v.leakSamples(),
        mm.mapCount());
  }

  /**
   * {@code exit_mmap}: closes the mm when it is quiescent (closing would wait forever on a VMA with
   * a leaked read reference), and the neighbour's when no thread is stuck.
   */
  private static void closeMms(Setup s, boolean stuck, boolean quiescent) {
    if (quiescent) {
      s.ctx.mm().close();
    }
    if (s.neighbour != null && !stuck) {
      s.neighbour.mm().close();
    }
  }

  private static long opsSoFar(List<Worker> workers) {
    long n = 0;
    for (Worker w : workers) {
      n += w.done.get();
    }
    return n;
  }

  private static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean join(Thread t, long deadlineNanos) {
    try {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        TimeUnit.NANOSECONDS.timedJoin(t, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }

  private static String stackOf(Thread t) {
    StringBuilder sb = new StringBuilder();
    StackTraceElement[] st = t.getStackTrace();
    for (int i = 0; i < Math.min(st.length, 6); i++) {
      sb.append(i == 0 ? "" : " <- ")
          .append(st[i].getClassName())
          .append('.')
          .append(st[i].getMethodName());
    }
    return sb.toString();
  }

  /** End of run: every VMA back to one reference, {@code mmap_lock} free; true if so. */
  private static boolean checkQuiescent(SimContext ctx) {
    MmStruct mm = ctx.mm();
    long before = ctx.violations().leakCount();
    if (ctx.world().lockMode() == LockMode.PER_VMA) {
      for (VmArea v : AddressLayout.vmas(mm)) {
        int ref = v.refcnt();
        if (ref != 1) {
          ctx.violations()
              .leak(
                  "end of run",
                  "VMA "
                      + hex(v.start())
                      + "-"
                      + hex(v.end())
                      + " has vm_refcnt "
                      + ref
                      + " (leaked read reference)");
        }
      }
    }
    try {
      mm.assertQuiescent();
    } catch (IllegalStateException e) {
      if (ctx.violations().leakCount() == before) {
        ctx.violations().leak("end of run", "assertQuiescent: " + e.getMessage());
      }
    }
    return ctx.violations().leakCount() == before;
  }

  private static List<CallerResult> merge(
      List<Worker> workers, Map<CallerKind, KernelCaller> callers) {
    List<CallerResult> out = new ArrayList<>();
    for (Map.Entry<CallerKind, KernelCaller> e : callers.entrySet()) {
      CallerKind k = e.getKey();
      Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
      LatencyHistogram h = new LatencyHistogram();
      for (Worker w : workers) {
        Worker.Stats s = w.stats.get(k);
        if (s == null) {
          continue;
        }
        for (Outcome o : Outcome.values()) {
          long c = s.outcomes[o.ordinal()];
          if (c != 0) {
            outcomes.merge(o, c, Long::sum);
          }
        }
        h.add(s.latency);
      }
      out.add(new CallerResult(k, outcomes, e.getValue().retries(), h));
    }
    return out;
  }

  /** Weighted choice among the reader or the writer callers of a mix. */
  static final class Picker {
    final CallerKind[] kinds;
    final int[] cumulative;
    final int total;

    Picker(Map<CallerKind, Integer> mix, boolean writers) {
      List<CallerKind> ks = new ArrayList<>();
      List<Integer> cs = new ArrayList<>();
      int sum = 0;
      for (Map.Entry<CallerKind, Integer> e : mix.entrySet()) {
        if (e.getKey().isWriter() == writers) {
          sum += e.getValue();
          ks.add(e.getKey());
          cs.add(sum);
        }
      }
      kinds = ks.toArray(new CallerKind[0]);
      cumulative = new int[cs.size()];
      for (int i = 0; i < cumulative.length; i++) {
        cumulative[i] = cs.get(i);
      }
      total = sum;
    }

    CallerKind pick(SplittableRandom rnd) {
      if (kinds.length == 1) {
        return kinds[0];
      }
      int r = rnd.nextInt(total);
      for (int i = 0; i < cumulative.length; i++) {
        if (r < cumulative[i]) {
          return kinds[i];
        }
      }
      return kinds[kinds.length - 1];
    }
  }

  /** State shared by the threads of one run. */
  static final class Run {
    final Workload workload;
    final SimContext ctx;
    final Map<CallerKind, KernelCaller> callers;
    final CountDownLatch start;
    volatile boolean stop;
    volatile boolean readersDone;

    /** For the neighbour mm's writers: the run whose end they follow, else null. */
    Run neighbourOf;

    boolean stopped() {
      return stop || (neighbourOf != null && neighbourOf.stop);
    }

    Run(
        Workload workload,
        SimContext ctx,
        Map<CallerKind, KernelCaller> callers,
        CountDownLatch start) {
      this.workload = workload;
      this.ctx = ctx;
      this.callers = callers;
      this.start = start;
    }
  }

  /**
   * The seed of thread {@code index}'s operation sequence: the workload seed mixed with the index
   * (SplitMix64's finaliser), so threads get independent sequences that depend only on both.
   *
   * @param seed the workload seed
   * @param index the thread index (readers first, then writers)
   * @return the thread's seed
   */
  public static long threadSeed(long seed, int index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Reader threads time one call in this many (a power of two); writers time every call. The
   * latency histograms of reader callers are therefore samples, their operation counts exact.
   */
  public static final int READER_SAMPLE = 64;

  private static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }
}
