package io.github.vmalock.sim.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The registry of experiments, in the order the headline runs them: {@code proc-maps-latency},
 * {@code fault-scaling}, {@code app-launch}, {@code series}. Each name is fixed (other tools read
 * the JSON keyed by it).
 */
public final class Experiments {
  private Experiments() {}

  /**
   * Every experiment, fresh instances, in headline order.
   *
   * @return the list
   */
  public static List<Experiment> all() {
    return List.of(new ProcMapsLatency(), new FaultScaling(), new AppLaunch(), new SeriesCallers());
  }

  /**
   * The names, in headline order.
   *
   * @return the names
   */
  public static List<String> names() {
    List<String> n = new ArrayList<>();
    for (Experiment e : all()) {
      n.add(e.name());
    }
    return n;
  }

  /**
   * The experiment called {@code name}.
   *
   * @param name an experiment's name
   * @return it, or empty if there is none of that name
   */
  public static Optional<Experiment> byName(String name) {
    for (Experiment e : all()) {
      if (e.name().equals(name)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
