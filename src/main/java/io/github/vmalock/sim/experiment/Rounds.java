package io.github.vmalock.sim.experiment;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.SimContext;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.report.LatencyHistogram;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Runs an experiment's worlds in interleaved rounds, so that a slow phase of the machine (another
 * process, a frequency change) falls on every world rather than on one: round {@code r} runs the
 * worlds starting at world {@code r mod n}. Each experiment first runs every world once, short, and
 * throws that away (the JIT's warm-up).
 */
final class Rounds {
  private Rounds() {}

  /**
   * Runs {@code run(world, round)} for every world in every round.
   *
   * @param worlds the worlds, in the order of round 0
   * @param rounds how many rounds
   * @param run one measurement; round -1 is the warm-up
   * @param progress receives a line per measurement, or null
   * @param <T> what a measurement returns
   * @return per world, its measurements in round order
   */
  static <T> Map<World, List<T>> interleave(
      List<World> worlds,
      int rounds,
      BiFunction<World, Integer, T> run,
      Consumer<String> progress) {
    List<T> warmUp = new ArrayList<>();
    for (World w : worlds) {
      warmUp.add(run.apply(w, -1));
    }
    Map<World, List<T>> out = new LinkedHashMap<>();
    for (World w : worlds) {
      out.put(w, new ArrayList<>());
    }
    int n = worlds.size();
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        World w = worlds.get((r + i) % n);
        out.get(w).add(run.apply(w, r));
        if (progress != null) {
          progress.accept("round " + (r + 1) + "/" + rounds + " " + w.label());
        }
      }
    }
    return out;
  }

  /**
   * The latencies of the given callers in one run, merged.
   *
   * @param r the run
   * @param kinds the callers
   * @return a histogram of nanoseconds (empty if none ran)
   */
  static LatencyHistogram latency(RunResult r, CallerKind... kinds) {
    LatencyHistogram h = new LatencyHistogram();
    for (CallerKind k : kinds) {
      CallerResult c = r.caller(k);
      if (c != null) {
        h.add(c.latency());
      }
    }
    return h;
  }

  /**
   * Operations of the given callers in one run.
   *
   * @param r the run
   * @param kinds the callers
   * @return the count
   */
  static long ops(RunResult r, CallerKind... kinds) {
    long n = 0;
    for (CallerKind k : kinds) {
      CallerResult c = r.caller(k);
      if (c != null) {
        n += c.ops();
      }
    }
    return n;
  }

  /**
   * Calls of the given callers in one run that ended with the given outcomes.
   *
   * @param r the run
   * @param kind the caller
   * @param outcomes the outcomes to count
   * @return the count (0 if the caller did not run)
   */
  static long count(RunResult r, CallerKind kind, Outcome... outcomes) {
    CallerResult c = r.caller(kind);
    long n = 0;
    if (c != null) {
      for (Outcome o : outcomes) {
        n += c.count(o);
      }
    }
    return n;
  }

  /**
   * Violations plus leaked locks of one run.
   *
   * @param r the run
   * @return the count
   */
  static long problems(RunResult r) {
    return r.violations() + r.leaks();
  }

  /**
   * Per-round ratios {@code a[i] / b[i]}.
   *
   * @param a numerators by round
   * @param b denominators by round
   * @return the ratios
   */
  static Samples ratios(List<Double> a, List<Double> b) {
    Samples s = new Samples();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      s.add(b.get(i) == 0 ? Double.NaN : a.get(i) / b.get(i));
    }
    return s;
  }

  /**
   * The values as samples.
   *
   * @param values per-round values
   * @return the samples
   */
  static Samples of(List<Double> values) {
    Samples s = new Samples();
    values.forEach(s::add);
    return s;
  }

  /**
   * {@code median ± spread} of per-round values, for a table cell.
   *
   * @param s the samples
   * @return the text
   */
  static String cell(Samples s) {
    return ExperimentResult.fmt(s.median()) + " ± " + ExperimentResult.fmt(s.spread());
  }

  /**
   * A fresh mm for one measurement of a custom driver: the world's lock mode, the cost model's
   * writer work, debug off (a speed run), {@code slots} VMAs of the standard layout mapped.
   *
   * @param w the world
   * @param cost the cost model
   * @param slots the layout's slots
   * @return the context (its own page table and violation record)
   */
  static SimContext freshContext(World w, CostModel cost, int slots) {
    MmStruct mm =
        MmStruct.builder()
            .lockMode(w.lockMode())
            .writerWork(cost.writerWork())
            .debug(false)
            .build();
    AddressLayout layout = new AddressLayout(slots);
    layout.populate(mm);
    return SimContext.of(mm, w, layout, cost);
  }

  /**
   * Ends a custom driver's measurement: its violations and leaks, plus one if the mm is not
   * quiescent (a leaked read reference or lock); closes the mm when it is.
   *
   * @param ctx the measurement's context
   * @return the problems found
   */
  static long finish(SimContext ctx) {
    long problems = ctx.violations().violationCount() + ctx.violations().leakCount();
    try {
      ctx.mm().assertQuiescent();
      ctx.mm().close();
    } catch (IllegalStateException e) {
      problems++;
    }
    return problems;
  }
}
