package io.github.vmalock.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.world.World;
import io.github.vmalock.variants.ProtocolVariant;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Workload: a record whose constructor checks every value")
class WorkloadTest {

  @Test
  @DisplayName("the builder's defaults, and toBuilder().build() gives an equal workload")
  void defaultsAndRoundTrip() {
    Workload w = Workload.builder().build();
    assertThat(w.world()).isEqualTo(World.SERIES);
    assertThat(w.threads()).isEqualTo(2);
    assertThat(w.writers()).isEqualTo(1);
    assertThat(w.timed()).isTrue();
    assertThat(w.duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(w.seed()).isEqualTo(42);
    assertThat(w.vmas()).isEqualTo(64);
    assertThat(w.mix())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(CallerKind.PAGE_FAULT, 1, CallerKind.MMAP, 3, CallerKind.MUNMAP, 1));
    assertThat(w.variant()).isEqualTo(ProtocolVariant.FAITHFUL);
    assertThat(w.cost()).isSameAs(CostModel.NONE);
    assertThat(w.toBuilder().build()).isEqualTo(w);
    assertThat(w.toBuilder().seed(7).build()).isNotEqualTo(w);
    assertThat(w.toBuilder().opsPerThread(10).build().timed()).isFalse();
  }

  @Test
  @DisplayName("the mix is copied and unmodifiable")
  void mixIsCopied() {
    Map<CallerKind, Integer> mix = new EnumMap<>(CallerKind.class);
    mix.put(CallerKind.PAGE_FAULT, 1);
    Workload w = Workload.builder().writers(0).mix(mix).build();
    mix.put(CallerKind.MMAP, 1);
    assertThat(w.mix()).containsOnlyKeys(CallerKind.PAGE_FAULT);
    assertThatThrownBy(() -> w.mix().put(CallerKind.MMAP, 1))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  @DisplayName("the canonical constructor refuses a bad value, naming it")
  void constructorNamesTheBadValue() {
    Workload ok = Workload.builder().build();
    assertThatThrownBy(
            () ->
                new Workload(
                    null,
                    ok.threads(),
                    ok.writers(),
                    ok.opsPerThread(),
                    ok.duration(),
                    ok.seed(),
                    ok.vmas(),
                    ok.mix(),
                    ok.retryRate(),
                    ok.debug(),
                    ok.variant(),
                    ok.stuckTimeout(),
                    ok.neighbourWriters(),
                    ok.cost()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("world is required, was null");
    assertThatThrownBy(() -> ok.toBuilder().cost(null).build())
        .hasMessage("cost model is required, was null");
    assertThatThrownBy(() -> ok.toBuilder().neighbourWriters(65).build())
        .hasMessage("neighbour writers must be between 0 and 64, was 65");
    assertThatThrownBy(() -> ok.toBuilder().duration(Duration.ZERO).build())
        .hasMessageContaining("duration must be positive");
    assertThatThrownBy(() -> ok.toBuilder().stuckTimeout(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("stuck timeout must be positive");
    assertThatThrownBy(() -> ok.toBuilder().mix(Map.of(CallerKind.PAGE_FAULT, -2)).build())
        .hasMessage("mix weight of page-fault must be positive, was -2");
  }
}
