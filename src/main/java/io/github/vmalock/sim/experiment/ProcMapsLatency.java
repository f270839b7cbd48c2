package io.github.vmalock.sim.experiment;

import io.github.vmalock.sim.CallerKind;
import io.github.vmalock.sim.CostModel;
import io.github.vmalock.sim.Hold;
import io.github.vmalock.sim.ProcMapsReader;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * {@code proc-maps-latency}: the worst-case and p99.9 latency of {@code mmap}/{@code munmap} while
 * {@code /proc/pid/maps} readers are preempted in the middle of their reads, reading under {@code
 * mmap_lock} (kernels before 6.17) against reading with {@code lock_next_vma()}.
 *
 * <p>Mechanism: a reader preempted while it holds {@code mmap_lock} for reading (one {@code read()}
 * of a page of lines) holds off every writer for as long as it is off the CPU, and, once a writer
 * queues, every new reader too. With {@code lock_next_vma()} the preempted reader holds one VMA's
 * read lock: only a writer that must write-lock that very VMA waits for it.
 *
 * <p>Each reader is preempted once per read, at a random line, for one scheduler slice ({@link
 * CostModel#KERNEL_PREEMPT_NANOS}); a writer thread runs {@code mmap(MAP_FIXED)} and {@code munmap}
 * of 1-4 pages over the layout's anonymous and socket VMAs as fast as it can. The headline is the
 * writers' worst-case latency, before over after.
 */
public final class ProcMapsLatency implements Experiment {
  /** Readers by default. */
  static final int READERS = 2;

  /**
   * VMAs: 512, about what a desktop process maps (a JVM here maps several hundred); the reader's
   * file is then about 6 pages, so a read is six {@code read()} calls.
   */
  static final int VMAS = 512;

  private static final List<World> WORLDS = List.of(World.NO_PER_VMA_LOCKS, World.PER_VMA_BEFORE);

  /** Creates the experiment. */
  public ProcMapsLatency() {}

  @Override
  public String name() {
    return "proc-maps-latency";
  }

  @Override
  public String summary() {
    return "mmap/munmap worst-case and p99.9 latency while /proc/pid/maps readers are preempted"
        + " mid-read: mmap_lock reader against lock_next_vma";
  }

  @Override
  public Published published() {
    return new Published(
        10,
        "worst-case mmap/munmap latency, mmap_lock reader / lock_next_vma reader",
        "Suren Baghdasaryan, \"[PATCH v9 0/6] use per-vma locks for /proc/pid/maps reads\","
            + " linux-mm, 2025-07: worst case 0.455-3.018 ms before, 0.036-0.498 ms after"
            + " (about 10x); Paul E. McKenney's proc-mmap_sem-test: a niced scanner raised it from"
            + " 0.141 ms to 116 ms",
        "Android device (Baghdasaryan); x86 server (McKenney)",
        1);
  }

  @Override
  public ExperimentResult run(ExperimentOptions o, Consumer<String> progress) {
    long t0 = System.nanoTime();
    int rounds = o.roundsOr(3, 5);
    Duration len = o.runLengthOr(Duration.ofMillis(1000), Duration.ofSeconds(5));
    CostModel cost =
        o.costWith(
            CallerKind.PROC_MAPS,
            new Hold(
                o.cost().hold(CallerKind.PROC_MAPS).cpuNanos(), CostModel.KERNEL_PREEMPT_NANOS, 1));
    Map<CallerKind, Integer> mix = new EnumMap<>(CallerKind.class);
    mix.put(CallerKind.PROC_MAPS, 1);
    mix.put(CallerKind.MMAP, 1);
    mix.put(CallerKind.MUNMAP, 1);
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
                          .threads(READERS)
                          .writers(1)
                          .mix(mix)
                          .vmas(VMAS)
                          .duration(r < 0 ? Duration.ofMillis(300) : len)
                          .seed(o.seed() + r)
                          .cost(cost)
                          .build());
              problems[0] += Rounds.problems(res);
              return res;
            },
            progress);
    Map<World, List<Double>> worst = new LinkedHashMap<>();
    Map<World, List<Double>> p999 = new LinkedHashMap<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Map<String, Double>> chart = new LinkedHashMap<>();
    for (World w : WORLDS) {
      List<Double> wc = new ArrayList<>();
      List<Double> pc = new ArrayList<>();
      List<Double> ops = new ArrayList<>();
      List<Double> reads = new ArrayList<>();
      for (RunResult r : runs.get(w)) {
        Histogram h = Rounds.latency(r, CallerKind.MMAP, CallerKind.MUNMAP);
        wc.add(h.getMaxValue() / 1e6);
        pc.add(h.getValueAtPercentile(99.9) / 1e6);
        ops.add(Rounds.ops(r, CallerKind.MMAP, CallerKind.MUNMAP) * 1e9 / r.elapsedNanos());
        reads.add(Rounds.ops(r, CallerKind.PROC_MAPS) * 1e9 / r.elapsedNanos());
      }
      worst.put(w, wc);
      p999.put(w, pc);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("world", w.label());
      row.put("reader", w == World.NO_PER_VMA_LOCKS ? "mmap_lock" : "lock_next_vma");
      row.put("writer worst ms", Rounds.cell(Rounds.of(wc)));
      row.put("writer p99.9 ms", Rounds.cell(Rounds.of(pc)));
      row.put("writer ops/s", Rounds.cell(Rounds.of(ops)));
      row.put("reads/s", Rounds.cell(Rounds.of(reads)));
      rows.add(row);
      Map<String, Double> series = new LinkedHashMap<>();
      series.put("worst ms", Rounds.of(wc).median());
      series.put("p99.9 ms", Rounds.of(pc).median());
      chart.put(w.label(), series);
    }
    Samples worstRatio = Rounds.ratios(worst.get(WORLDS.get(0)), worst.get(WORLDS.get(1)));
    Samples p999Ratio = Rounds.ratios(p999.get(WORLDS.get(0)), p999.get(WORLDS.get(1)));
    Map<String, Object> ratioRow = new LinkedHashMap<>();
    ratioRow.put("world", "before / after");
    ratioRow.put("reader", "");
    ratioRow.put("writer worst ms", Rounds.cell(worstRatio) + "x");
    ratioRow.put("writer p99.9 ms", Rounds.cell(p999Ratio) + "x");
    ratioRow.put("writer ops/s", "");
    ratioRow.put("reads/s", "");
    rows.add(ratioRow);
    List<String> notes = new ArrayList<>();
    notes.add(
        READERS
            + " readers, each preempted once per read at a random line for "
            + Hold.formatNanos(CostModel.KERNEL_PREEMPT_NANOS)
            + " (one scheduler slice), "
            + ProcMapsReader.LINES_PER_READ
            + " lines per read(); 1 writer; "
            + VMAS
            + " VMAs.");
    notes.add(
        "With lock_next_vma a writer still waits out a preempted reader when it must write-lock"
            + " the very VMA that reader holds, so the worst case can reach one slice in both"
            + " worlds; p99.9 counts how often that happens.");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("readers", Integer.toString(READERS));
    params.put("vmas", Integer.toString(VMAS));
    params.put("rounds", Integer.toString(rounds));
    params.put("run-length", len.toMillis() + "ms");
    params.putAll(cost.parameters());
    return new ExperimentResult(
        name(),
        "mmap/munmap latency beside "
            + READERS
            + " preempted /proc/pid/maps readers, "
            + Hold.formatNanos(len.toNanos())
            + " x "
            + rounds
            + " rounds per world",
        published(),
        "worst-case mmap/munmap latency, before / after",
        worstRatio,
        rows,
        notes,
        params,
        chart,
        "ms",
        problems[0],
        System.nanoTime() - t0);
  }
}
