package io.github.vmalock.sim.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.sim.callers.CostModel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every experiment runs in a seconds-long smoke and writes the fixed JSON fields. It checks that
 * they run, clean, and report; not their numbers (speed is measured by the experiments themselves,
 * never asserted in a unit test).
 */
class ExperimentSmokeTest {
  static Stream<Experiment> experiments() {
    return Experiments.all().stream();
  }

  private static final ExperimentOptions SMOKE =
      new ExperimentOptions(
          true, 2, Duration.ofMillis(40), CostModel.kernel().build(), Map.of(), 7);

  @ParameterizedTest(name = "{0}")
  @MethodSource("experiments")
  @DisplayName("runs, finds no violation, writes the fixed JSON fields")
  void runsAndWritesJson(Experiment e) {
    StringBuilder progress = new StringBuilder();
    ExperimentResult r = e.run(SMOKE, line -> progress.append(line).append('\n'));
    assertThat(r.name()).isEqualTo(e.name());
    assertThat(r.violations()).as("violations or leaks in %s", e.name()).isZero();
    assertThat(r.model().values()).as("one headline ratio per round").hasSize(2);
    assertThat(progress.toString()).contains("round 2/2");
    String json = r.json().replaceAll("\\s+", " ");
    String str = "\"(?:[^\"\\\\]|\\\\.)+\"";
    assertThat(json).contains("\"experiment\": \"" + e.name() + "\"");
    assertThat(json)
        .containsPattern(
            Pattern.compile(
                "\"published\": \\{ \"value\": (null|[-0-9.eE]+), \"unit\": "
                    + str
                    + ", \"source\": "
                    + str));
    assertThat(json)
        .containsPattern(
            Pattern.compile(
                "\"model\": \\{ \"value\": [-0-9.eE]+, \"unit\": "
                    + str
                    + ", \"spread\": [-0-9.eE]+"));
    assertThat(json).containsPattern("\"agrees\": (true|false)");
    assertThat(r.text()).contains(e.name()).contains("published").contains("model");
    assertThat(r.rows()).isNotEmpty();
    assertThat(r.parameters()).isNotEmpty();
  }

  @Test
  @DisplayName("the registry has the four fixed names, in headline order")
  void registry() {
    assertThat(Experiments.names())
        .containsExactly("proc-maps-latency", "fault-scaling", "app-launch", "series");
    assertThat(Experiments.byName("nope")).isEmpty();
    for (Experiment e : Experiments.all()) {
      assertThat(e.summary()).isNotBlank();
      assertThat(e.published().source()).isNotBlank();
    }
  }

  @Test
  @DisplayName("options refuse one round, a zero run length and a null cost model")
  void badOptions() {
    CostModel k = CostModel.kernel().build();
    assertThatThrownBy(() -> new ExperimentOptions(true, 1, null, k, Map.of(), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rounds");
    assertThatThrownBy(() -> new ExperimentOptions(true, 0, Duration.ZERO, k, Map.of(), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("run length");
    assertThatThrownBy(() -> new ExperimentOptions(true, 0, null, null, Map.of(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a spread larger than the effect is not significant; the verdict follows")
  void significance() {
    Samples s = new Samples();
    List.of(0.9, 1.3, 1.1).forEach(s::add);
    assertThat(s.median()).isEqualTo(1.1);
    assertThat(s.spread()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(s.significantRatio()).isFalse();
    Samples t = new Samples();
    List.of(5.0, 6.0, 7.0).forEach(t::add);
    assertThat(t.significantRatio()).isTrue();
  }
}
