package io.github.vmalock.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.world.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("FaultStorm: the headline comparison runs from the API, one merged result per world")
class FaultStormTest {
  private static Workload base() {
    return Scenario.FAULT_STORM
        .applyTo(Workload.builder())
        .threads(1)
        .writers(1)
        .duration(Duration.ofMillis(60))
        .debug(false)
        .build();
  }

  @Test
  @DisplayName("every world, in World.all() order, rounds merged; the observer sees each run")
  void runsEveryWorld() {
    List<String> labels = new ArrayList<>();
    int[] finished = {0};
    FaultStorm.Observer obs =
        new FaultStorm.Observer() {
          @Override
          public Simulator.ProgressListener starting(String label) {
            labels.add(label);
            return null;
          }

          @Override
          public void finished() {
            finished[0]++;
          }
        };
    List<RunResult> rs = FaultStorm.run(base(), Duration.ofMillis(20), 2, obs);
    assertThat(rs).extracting(r -> r.workload().world()).containsExactlyElementsOf(World.all());
    for (RunResult r : rs) {
      assertThat(r.clean()).as("%s", r.violationSamples()).isTrue();
      assertThat(r.caller(CallerKind.PAGE_FAULT).ops()).isPositive();
    }
    int worlds = World.all().size();
    assertThat(labels).hasSize(worlds * 3).startsWith("warm-up ").contains("round 2/2 ");
    assertThat(finished[0]).isEqualTo(labels.size());
    String line = FaultStorm.summary(rs);
    assertThat(line).startsWith("page faults/s: " + World.all().get(0).label()).contains("(x");
  }

  @Test
  @DisplayName("bad arguments name the problem")
  void badInput() {
    assertThatThrownBy(() -> FaultStorm.run(base(), Duration.ZERO, 0, FaultStorm.SILENT))
        .hasMessageContaining("rounds");
    assertThatThrownBy(() -> FaultStorm.run(base(), Duration.ofMillis(-1), 1, FaultStorm.SILENT))
        .hasMessageContaining("warm-up");
    Workload counted = base().toBuilder().opsPerThread(10).build();
    assertThatThrownBy(() -> FaultStorm.run(counted, Duration.ZERO, 1, FaultStorm.SILENT))
        .hasMessageContaining("timed");
  }
}
