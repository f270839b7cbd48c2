package io.github.vmalock.sim.callers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.WriterWork;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The cost model's parsing, defaults and contracts; nothing here times anything. */
class CostModelTest {
  @Test
  @DisplayName("Hold.parse reads CPU[,OFF[@RATE]] with units and refuses the rest, naming it")
  void holdParse() {
    assertThat(Hold.parse("10us")).isEqualTo(new Hold(10_000, 0, 0));
    assertThat(Hold.parse("136ns,2.8ms@0.5")).isEqualTo(new Hold(136, 2_800_000, 0.5));
    assertThat(Hold.parse("0,3ms")).isEqualTo(new Hold(0, 3_000_000, 1));
    assertThat(Hold.parseNanos("1.5us")).isEqualTo(1_500);
    assertThat(Hold.parseNanos("0")).isZero();
    assertThatThrownBy(() -> Hold.parse("abc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("abc");
    assertThatThrownBy(() -> Hold.parseNanos("5"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unit");
    assertThatThrownBy(() -> Hold.parse("1us,1ms@2")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hold.parseNanos("-1us")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Hold.parseNanos("11s")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("kernel() carries the documented figures; NONE costs nothing and has no writer work")
  void defaults() {
    CostModel k = CostModel.kernel().build();
    assertThat(k.hold(CallerKind.PAGE_FAULT).cpuNanos())
        .isEqualTo(CostModel.KERNEL_FAULT_CPU_NANOS);
    assertThat(k.hold(CallerKind.PROC_MAPS).cpuNanos())
        .isEqualTo(CostModel.KERNEL_PROC_MAPS_LINE_NANOS);
    assertThat(k.hold(CallerKind.PROC_MAPS).offCpuNanos())
        .as("preemption is an experiment's choice")
        .isZero();
    assertThat(k.isNone()).isFalse();
    assertThat(k.writerWork()).isNotSameAs(WriterWork.NONE);
    assertThat(k.parameters()).containsKeys("hold.page-fault", "unmap-page", "page-scale");
    assertThat(CostModel.NONE.isNone()).isTrue();
    assertThat(CostModel.NONE.writerWork()).isSameAs(WriterWork.NONE);
    assertThat(CostModel.NONE.hold(CallerKind.PAGE_FAULT)).isEqualTo(Hold.NONE);
    assertThat(CostModel.NONE.toString()).isEqualTo("none");
  }

  @Test
  @DisplayName("writers are costed per page, not by a hold; the page scale is bounded")
  void builderContracts() {
    assertThatThrownBy(() -> CostModel.builder().hold(CallerKind.MUNMAP, Hold.cpu(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("writer");
    assertThatThrownBy(() -> CostModel.builder().hold(null, Hold.cpu(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CostModel.builder().pageScale(0))
        .isInstanceOf(IllegalArgumentException.class);
    CostModel m = CostModel.kernel().pageScale(64).build();
    assertThat(m.pageScale()).isEqualTo(64);
    assertThat(m.toBuilder().build().parameters()).isEqualTo(m.parameters());
  }

  @Test
  @DisplayName("the busy wait is calibrated, and zero or negative work returns at once")
  void cpuWork() {
    assertThat(CpuWork.nanosPerIteration()).isPositive().isLessThan(1_000);
    CpuWork.spin(0);
    CpuWork.spin(-5);
    CpuWork.park(0);
    Thread.currentThread().interrupt();
    CpuWork.park(1_000);
    assertThat(Thread.interrupted()).as("park keeps the interrupt status").isTrue();
  }
}
