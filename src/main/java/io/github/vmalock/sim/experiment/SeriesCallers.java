package io.github.vmalock.sim.experiment;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.report.LatencyHistogram;
import io.github.vmalock.sim.world.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code series}: the callers the series changes (the binder shrinker, binder's page install, TCP
 * zerocopy receive, the BPF stack map's build-id lookup), before and after the series, beside a
 * writer whose page-table work holds {@code mmap_lock} for realistic times.
 *
 * <p>Mechanism: before the series each caller tries its VMA lock and, where that fails, falls back
 * to {@code mmap_lock} (the shrinker with a trylock, skipping the page when it fails; the others
 * blocking behind the writer); after it they rely on the VMA lock alone ({@code
 * lock_vma_under_rcu}, or {@code vma_start_read_unlocked}'s wait). The writer's work per page is
 * the measured teardown cost ({@link CostModel#KERNEL_UNMAP_PAGE_NANOS}) times the page scale (a
 * model page standing for this many kernel pages: 64, so that a 1-4 page range is a 256 KiB-1 MiB
 * {@code munmap}, an allocator's chunk).
 *
 * <p>The headline is the four callers' completed calls per second, after over before; the table has
 * the shrinker's pages freed and skipped, the TCP receive's p99, each caller's {@code mmap_lock}
 * takes, and the writers' wait.
 */
public final class SeriesCallers implements Experiment {
  private static final List<World> WORLDS = List.of(World.PER_VMA_BEFORE, World.SERIES);

  private static final CallerKind[] CALLERS = {
    CallerKind.BINDER_SHRINKER,
    CallerKind.BINDER_INSTALL,
    CallerKind.TCP_ZEROCOPY,
    CallerKind.BPF_STACKMAP
  };

  /** Model pages per writer page: see the class comment. */
  static final int PAGE_SCALE = 64;

  /** Caller threads. */
  static final int THREADS = 4;

  /** Writer threads. */
  static final int WRITERS = 1;

  /** Creates the experiment. */
  public SeriesCallers() {}

  @Override
  public String name() {
    return "series";
  }

  @Override
  public String summary() {
    return "binder shrinker, binder page install, TCP zerocopy, BPF stack map before and after"
        + " the series, beside a writer holding mmap_lock for its page-table work";
  }

  @Override
  public Published published() {
    return new Published(
        Double.NaN,
        "the series' callers' calls/s, after / before (no figure published)",
        "\"mm: Unconditional per-VMA locks and cleanups\" v2 (the series' cover letter): \"faster"
            + " and simpler\", no measurement; Carlos Llamas, \"[PATCH v5 0/9] binder: faster page"
            + " installations\", 2024-11-26,"
            + " https://lore.kernel.org/all/20241126184021.45292-1-cmllamas@google.com/ (no"
            + " figure); Arjun Roy, \"tcp: Use per-vma locking for receive zerocopy\", 2023-06-16:"
            + " about 1% to 0.45% of cycles with 100 connections",
        "not stated",
        1);
  }

  @Override
  public ExperimentResult run(ExperimentOptions o, Consumer<String> progress) {
    long t0 = System.nanoTime();
    int rounds = o.roundsOr(3, 5);
    Duration len = o.runLengthOr(Duration.ofMillis(800), Duration.ofSeconds(5));
    CostModel cost = o.cost().toBuilder().pageScale(PAGE_SCALE).build();
    Map<CallerKind, Integer> mix = new EnumMap<>(CallerKind.class);
    for (CallerKind k : CALLERS) {
      mix.put(k, 1);
    }
    mix.put(CallerKind.MMAP, 1);
    mix.put(CallerKind.MUNMAP, 1);
    mix.put(CallerKind.MPROTECT, 1);
    long[] problems = {0};
    Map<World, List<RunResult>> runs =
        Rounds.interleave(
            WORLDS,
            rounds,
            (w, r) -> {
              RunResult res =
                  Simulator.run(
                      Workload.builder()
                          .world(w)
                          .threads(THREADS)
                          .writers(WRITERS)
                          .mix(mix)
                          .duration(r < 0 ? Duration.ofMillis(300) : len)
                          .seed(o.seed() + r)
                          .cost(cost)
                          .build());
              problems[0] += Rounds.problems(res);
              return res;
            },
            progress);
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
    Map<World, List<Double>> done = new LinkedHashMap<>();
    for (World w : WORLDS) {
      List<Double> callsPerSec = new ArrayList<>();
      List<Double> freed = new ArrayList<>();
      List<Double> skipped = new ArrayList<>();
      List<Double> tcpP99 = new ArrayList<>();
      List<Double> mmapTakes = new ArrayList<>();
      List<Double> writerP99 = new ArrayList<>();
      List<Double> writerWait = new ArrayList<>();
      for (RunResult r : runs.get(w)) {
        double s = r.elapsedNanos() / 1e9;
        long ok = 0;
        long taken = 0;
        for (CallerKind k : CALLERS) {
          ok += Rounds.count(r, k, Outcome.VMA_LOCKED, Outcome.MMAP_LOCKED);
          taken += Rounds.count(r, k, Outcome.MMAP_LOCKED);
        }
        callsPerSec.add(ok / s);
        mmapTakes.add(taken / s);
        freed.add(
            Rounds.count(r, CallerKind.BINDER_SHRINKER, Outcome.VMA_LOCKED, Outcome.MMAP_LOCKED)
                / s);
        skipped.add(Rounds.count(r, CallerKind.BINDER_SHRINKER, Outcome.SKIPPED) / s);
        LatencyHistogram tcp = Rounds.latency(r, CallerKind.TCP_ZEROCOPY);
        tcpP99.add(tcp.totalCount() == 0 ? 0 : tcp.valueAtPercentile(99) / 1e3);
        LatencyHistogram wr =
            Rounds.latency(r, CallerKind.MMAP, CallerKind.MUNMAP, CallerKind.MPROTECT);
        writerP99.add(wr.totalCount() == 0 ? 0 : wr.valueAtPercentile(99) / 1e6);
        writerWait.add(wr.totalCount() == 0 ? 0 : wr.mean() / 1e3);
      }
      done.put(w, callsPerSec);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("world", w.label());
      row.put("caller calls/s", Rounds.cell(Rounds.of(callsPerSec)));
      row.put("shrinker freed/s", Rounds.cell(Rounds.of(freed)));
      row.put("shrinker skipped/s", Rounds.cell(Rounds.of(skipped)));
      row.put("tcp p99 us", Rounds.cell(Rounds.of(tcpP99)));
      row.put("mmap_lock takes/s", Rounds.cell(Rounds.of(mmapTakes)));
      row.put("writer p99 ms", Rounds.cell(Rounds.of(writerP99)));
      row.put("writer mean us", Rounds.cell(Rounds.of(writerWait)));
      rows.add(row);
      Map<String, Double> series = new LinkedHashMap<>();
      series.put("caller calls/s (k)", Rounds.of(callsPerSec).median() / 1e3);
      series.put("mmap_lock takes/s (k)", Rounds.of(mmapTakes).median() / 1e3);
      chart.put(w.label(), series);
    }
    List<String> perCaller = new ArrayList<>();
    for (CallerKind k : CALLERS) {
      StringBuilder line = new StringBuilder(k.label()).append(":");
      for (World w : WORLDS) {
        List<Double> takes = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        for (RunResult r : runs.get(w)) {
          takes.add(Rounds.count(r, k, Outcome.MMAP_LOCKED) * 1e9 / r.elapsedNanos());
          LatencyHistogram h = Rounds.latency(r, k);
          p50.add(h.totalCount() == 0 ? 0 : h.valueAtPercentile(50) / 1e3);
        }
        line.append(" ")
            .append(w.label())
            .append(" mmap_lock ")
            .append(Rounds.cell(Rounds.of(takes)))
            .append("/s, p50 ")
            .append(Rounds.cell(Rounds.of(p50)))
            .append(" us;");
      }
      perCaller.add(line.toString());
    }
    Samples ratio = Rounds.ratios(done.get(WORLDS.get(1)), done.get(WORLDS.get(0)));
    List<String> notes = new ArrayList<>();
    notes.add(
        THREADS
            + " caller threads (the four callers in equal shares), "
            + WRITERS
            + " writer (mmap, munmap, mprotect of 1-4 model pages, each "
            + PAGE_SCALE
            + " kernel pages of page-table work); after / before: "
            + Rounds.cell(ratio)
            + "x calls/s.");
    notes.addAll(perCaller);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("threads", Integer.toString(THREADS));
    params.put("writers", Integer.toString(WRITERS));
    params.put("rounds", Integer.toString(rounds));
    params.put("run-length", len.toMillis() + "ms");
    params.putAll(cost.parameters());
    return new ExperimentResult(
        name(),
        "the series' callers beside a writer, "
            + len.toMillis()
            + " ms x "
            + rounds
            + " rounds per world",
        published(),
        "the four callers' completed calls/s, after / before",
        ratio,
        rows,
        notes,
        params,
        chart,
        "thousands per second",
        problems[0],
        System.nanoTime() - t0);
  }
}
