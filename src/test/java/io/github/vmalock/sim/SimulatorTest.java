package io.github.vmalock.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.callers.SimTestSupport;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Simulator: scenarios on the faithful protocol")
class SimulatorTest {

  static Stream<Arguments> scenariosAndWorlds() {
    List<Arguments> out = new ArrayList<>();
    for (Scenario s : Scenario.values()) {
      for (World w : World.all()) {
        out.add(Arguments.of(s, w));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} in {1}")
  @MethodSource("scenariosAndWorlds")
  @DisplayName("every scenario runs with zero violations and zero leaked locks")
  void scenarioIsClean(Scenario s, World w) {
    long ops = SimTestSupport.large() ? 20_000 : 400;
    RunResult r =
        Simulator.run(
            s.applyTo(Workload.builder())
                .world(w)
                .threads(2)
                .writers(1)
                .opsPerThread(ops)
                .vmas(16)
                .debug(true)
                .build());
    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.leakSamples()).isEmpty();
    assertThat(r.clean()).isTrue();
    long readerOps = 0;
    for (CallerResult c : r.callers()) {
      if (!c.kind().isWriter()) {
        readerOps += c.ops();
      }
      assertThat(c.count(Outcome.ERROR)).as(c.kind().label()).isZero();
    }
    assertThat(readerOps).isEqualTo(2 * ops);
  }

  @Test
  @DisplayName("the same seed gives every thread the same operation sequence")
  void seedDeterminesSequence() {
    Map<CallerKind, Integer> mix = Scenario.MIXED.mix();
    Simulator.Picker p = new Simulator.Picker(mix, false);
    for (int thread = 0; thread < 3; thread++) {
      SplittableRandom a = new SplittableRandom(Simulator.threadSeed(7, thread));
      SplittableRandom b = new SplittableRandom(Simulator.threadSeed(7, thread));
      for (int i = 0; i < 1000; i++) {
        assertThat(p.pick(a)).isEqualTo(p.pick(b));
      }
    }
    assertThat(Simulator.threadSeed(7, 0)).isNotEqualTo(Simulator.threadSeed(7, 1));
    assertThat(Simulator.threadSeed(7, 0)).isNotEqualTo(Simulator.threadSeed(8, 0));
  }

  @Test
  @DisplayName(
      "the BPF stack map of v2 of the series in a run: violations and leaked locks are reported")
  void seedV2IsReported() {
    RunResult r =
        Simulator.run(
            Workload.builder()
                .world(World.SERIES)
                .mix(Scenario.parseMix("bpf-stackmap-v2=1"))
                .threads(1)
                .writers(0)
                .opsPerThread(20)
                .debug(true)
                .build());
    assertThat(r.clean()).isFalse();
    assertThat(r.violations()).isPositive();
    assertThat(r.leaks()).isPositive();
  }

  @Test
  @DisplayName("workload settings are checked, naming the setting and the value")
  void badWorkloads() {
    assertThatThrownBy(() -> Workload.builder().threads(-1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("threads")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> Workload.builder().vmas(3).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vmas");
    assertThatThrownBy(() -> Workload.builder().writers(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("writers is 0");
    assertThatThrownBy(() -> Workload.builder().retryRate(-0.1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retry rate");
    assertThatThrownBy(
            () -> new World(SeriesShape.AFTER, io.github.vmalock.mm.LockMode.MMAP_LOCK_ONLY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PER_VMA");
    assertThatThrownBy(() -> Scenario.parseMix("page-fault=0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> Scenario.parseMix("nope=1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("valid callers");
    assertThatThrownBy(() -> Scenario.parse("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fault-storm");
  }

  @Test
  @DisplayName("the Simulator Javadoc's sample runs clean")
  void javadocSampleRuns() {
    RunResult r =
        Simulator.run(
            Workload.builder()
                .world(World.SERIES)
                .mix(Scenario.parseMix("page-fault=8,mmap=1,munmap=1"))
                .threads(2)
                .writers(1)
                .opsPerThread(100_000)
                .build());
    assertThat(r.clean()).as("%s", r.violationSamples()).isTrue();
    assertThat(r.callers()).extracting(CallerResult::kind).contains(CallerKind.PAGE_FAULT);
  }
}
