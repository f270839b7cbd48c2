package io.github.vmalock.sim.experiment;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.callers.Hold;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.PageFault;
import io.github.vmalock.sim.callers.SimContext;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code app-launch}: the Android shape of the per-VMA locks cover letter ("up to 20% faster"
 * launches of apps with about 100 threads). A launch is {@link #THREADS} threads starting at once,
 * each mapping its stack, {@code mprotect}ing its guard page, faulting its stack and the heap, and
 * unmapping its stack when it ends; the measure is the time until every thread has finished, for a
 * fixed number of launches, in each world.
 *
 * <p>Mechanism: each stack {@code mmap}, guard {@code mprotect} and {@code munmap} takes {@code
 * mmap_lock} for writing; without per-VMA locks every fault of every other thread takes it for
 * reading, so each writer waits for the faults in flight and new faults wait behind a queued
 * writer. With per-VMA locks the faults run beside the writers except on the VMA being changed. The
 * machine has 2 CPUs and the launch 100 threads, so the threads also queue for the CPUs: the model
 * shows the lock's share of that, not a phone's 8 cores.
 */
public final class AppLaunch implements Experiment {
  /** Threads per launch: the cover letter's "about 100". */
  static final int THREADS = 100;

  /** Stack pages each thread faults (of its 16-page stack; the first page is the guard). */
  static final int STACK_FAULTS = 8;

  /** Heap faults each thread takes, spread over the layout's anonymous VMAs. */
  static final int HEAP_FAULTS = 32;

  /** VMAs of the app before its threads start (libraries, heap, a zygote child's mappings). */
  static final int VMAS = 512;

  private static final List<World> WORLDS = List.of(World.NO_PER_VMA_LOCKS, World.PER_VMA_BEFORE);

  /** Creates the experiment. */
  public AppLaunch() {}

  @Override
  public String name() {
    return "app-launch";
  }

  @Override
  public String summary() {
    return "time to run launches of 100 threads that each map a stack, mprotect a guard page and"
        + " fault, in each world";
  }

  @Override
  public Published published() {
    return new Published(
        1.20,
        "launch time, mmap_lock only / per-VMA locks (\"up to 20% faster\")",
        "Suren Baghdasaryan, \"[PATCH v4 00/33] Per-VMA locks\", linux-mm, 2023-02-27,"
            + " https://lore.kernel.org/all/20230227173632.3292573-1-surenb@google.com/ :"
            + " \"app launch time improvements of up to 20%\" on Android for apps with about 100"
            + " threads (citing https://lwn.net/Articles/906852/)",
        "Android phones (not stated further)",
        1);
  }

  @Override
  public ExperimentResult run(ExperimentOptions o, Consumer<String> progress) {
    long t0 = System.nanoTime();
    int rounds = o.roundsOr(3, 5);
    int launches = o.quick() ? 6 : 30;
    CostModel cost = o.cost();
    long[] problems = {0};
    Map<World, List<Run>> runs =
        Rounds.interleave(
            WORLDS,
            rounds,
            (w, r) -> {
              Run run = runOnce(w, cost, r < 0 ? 2 : launches, o.seed() + r);
              problems[0] += run.problems;
              return run;
            },
            progress);
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
    Map<World, List<Double>> times = new LinkedHashMap<>();
    for (World w : WORLDS) {
      List<Double> ms = new ArrayList<>();
      List<Double> fb = new ArrayList<>();
      for (Run r : runs.get(w)) {
        ms.add(r.nanosPerLaunch / 1e6);
        fb.add(r.mmapLockFaultShare * 100);
      }
      times.put(w, ms);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("world", w.label());
      row.put("ms per launch", Rounds.cell(Rounds.of(ms)));
      row.put("faults under mmap_lock %", Rounds.cell(Rounds.of(fb)));
      rows.add(row);
      Map<String, Double> series = new LinkedHashMap<>();
      series.put("ms per launch", Rounds.of(ms).median());
      chart.put(w.label(), series);
    }
    Samples ratio = Rounds.ratios(times.get(WORLDS.get(0)), times.get(WORLDS.get(1)));
    Map<String, Object> rr = new LinkedHashMap<>();
    rr.put("world", "before / after");
    rr.put("ms per launch", Rounds.cell(ratio) + "x");
    rr.put("faults under mmap_lock %", "");
    rows.add(rr);
    List<String> notes = new ArrayList<>();
    notes.add(
        THREADS
            + " threads per launch, each: mmap a 16-page stack, mprotect its guard page, "
            + STACK_FAULTS
            + " stack faults, "
            + HEAP_FAULTS
            + " heap faults ("
            + Hold.formatNanos(cost.hold(CallerKind.PAGE_FAULT).cpuNanos())
            + " each under its lock), munmap the stack; "
            + launches
            + " launches per measurement; "
            + VMAS
            + " VMAs before the launch.");
    notes.add(
        "Not modelled: the launch's file-backed faults and their I/O (the kernel drops the lock"
            + " to wait for I/O in both worlds), binder, the zygote's fork; 2 CPUs for 100 threads.");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("threads", Integer.toString(THREADS));
    params.put("launches", Integer.toString(launches));
    params.put("stack-faults", Integer.toString(STACK_FAULTS));
    params.put("heap-faults", Integer.toString(HEAP_FAULTS));
    params.put("vmas", Integer.toString(VMAS));
    params.put("rounds", Integer.toString(rounds));
    params.putAll(cost.parameters());
    return new ExperimentResult(
        name(),
        launches + " launches of " + THREADS + " threads x " + rounds + " rounds per world",
        published(),
        "time per launch, MMAP_LOCK_ONLY / per-VMA",
        ratio,
        rows,
        notes,
        params,
        chart,
        "ms per launch",
        problems[0],
        System.nanoTime() - t0);
  }

  private record Run(double nanosPerLaunch, double mmapLockFaultShare, long problems) {}

  private static Run runOnce(World w, CostModel cost, int launches, long seed) {
    SimContext ctx = Rounds.freshContext(w, cost, VMAS + THREADS);
    MmStruct mm = ctx.mm();
    AddressLayout layout = ctx.layout();
    long[] stacks = new long[THREADS];
    for (int i = 0; i < THREADS; i++) {
      stacks[i] = layout.slotStart(VMAS + i);
      mm.munmap(stacks[i], AddressLayout.SLOT_PAGES * AddressLayout.PAGE);
    }
    PageFault fault = new PageFault(ctx, 0);
    CyclicBarrier start = new CyclicBarrier(THREADS + 1);
    CyclicBarrier end = new CyclicBarrier(THREADS + 1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] mmapLocked = new long[THREADS];
    long[] handled = new long[THREADS];
    List<Thread> threads = new ArrayList<>();
    SplittableRandom root = new SplittableRandom(seed);
    for (int i = 0; i < THREADS; i++) {
      int idx = i;
      SplittableRandom rnd = root.split();
      Thread t =
          new Thread(
              () -> {
                for (int l = 0; l < launches; l++) {
                  try {
                    start.await();
                  } catch (InterruptedException | BrokenBarrierException e) {
                    failure.compareAndSet(null, e);
                    return;
                  }
                  try {
                    threadLife(ctx, fault, stacks[idx], rnd, mmapLocked, handled, idx);
                  } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                  }
                  try {
                    end.await();
                  } catch (InterruptedException | BrokenBarrierException e) {
                    failure.compareAndSet(null, e);
                    return;
                  }
                }
              },
              "launch-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long total = 0;
    try {
      for (int l = 0; l < launches; l++) {
        start.await();
        long t0 = System.nanoTime();
        end.await();
        total += System.nanoTime() - t0;
      }
      for (Thread t : threads) {
        t.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during app-launch", e);
    } catch (BrokenBarrierException e) {
      throw new IllegalStateException("app-launch thread failed: " + failure.get(), failure.get());
    }
    if (failure.get() != null) {
      throw new IllegalStateException("app-launch thread failed: " + failure.get(), failure.get());
    }
    long locked = 0;
    long all = 0;
    for (int i = 0; i < THREADS; i++) {
      locked += mmapLocked[i];
      all += handled[i];
    }
    long problems = Rounds.finish(ctx);
    return new Run((double) total / launches, all == 0 ? 0 : (double) locked / all, problems);
  }

  /** One thread's life in a launch. */
  private static void threadLife(
      SimContext ctx,
      PageFault fault,
      long stack,
      SplittableRandom rnd,
      long[] mmapLocked,
      long[] handled,
      int idx) {
    MmStruct mm = ctx.mm();
    AddressLayout layout = ctx.layout();
    long len = AddressLayout.SLOT_PAGES * AddressLayout.PAGE;
    mm.mmap(stack, len, AddressLayout.ANON_FLAGS); // pthread_create: the stack
    mm.mprotect(stack, AddressLayout.PAGE, 0); // its guard page, PROT_NONE
    for (int p = 0; p < STACK_FAULTS; p++) {
      long addr = stack + len - (p + 1) * AddressLayout.PAGE; // stacks grow down
      count(fault.fault(addr, true, false), mmapLocked, handled, idx);
    }
    for (int f = 0; f < HEAP_FAULTS; f++) {
      long addr = layout.pickAddress(rnd, AddressLayout.Kind.ANON);
      if (layout.slotOf(addr) < VMAS) {
        count(fault.fault(addr, true, false), mmapLocked, handled, idx);
      }
    }
    mm.munmap(stack, len); // the thread exits
    for (long a = stack; a < stack + len; a += AddressLayout.PAGE) {
      ctx.pages().clear(a);
    }
  }

  private static void count(Outcome o, long[] mmapLocked, long[] handled, int idx) {
    if (o == Outcome.MMAP_LOCKED) {
      mmapLocked[idx]++;
    }
    if (o == Outcome.MMAP_LOCKED || o == Outcome.VMA_LOCKED) {
      handled[idx]++;
    }
  }
}
