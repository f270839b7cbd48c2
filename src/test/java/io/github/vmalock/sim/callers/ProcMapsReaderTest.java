package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Invariants cited here: see docs/invariants.md#f11. */
@DisplayName("ProcMapsReader: /proc/pid/maps with lock_next_vma")
class ProcMapsReaderTest {

  @Test
  @DisplayName("a quiet address space is read whole, one line per VMA")
  void quiet() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      assertThat(new ProcMapsReader(ctx).readMaps()).as(w.label()).isEqualTo(ctx.mm().mapCount());
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("a missing text VMA is reported as a gap (F11)")
  void missingTextIsReported() {
    SimContext ctx = ctx(World.SERIES);
    ProcMapsReader reader = new ProcMapsReader(ctx);
    ctx.mm().munmap(ctx.layout().slotStart(7), AddressLayout.SLOT_PAGES * AddressLayout.PAGE);
    reader.readMaps();
    assertThat(ctx.violations().violationCount()).isEqualTo(1);
    assertThat(ctx.violations().violationSamples().get(0)).contains("F11");
  }

  @Test
  @DisplayName("a text VMA cut in two is reported (not whole)")
  void splitTextIsReported() {
    SimContext ctx = ctx(World.PER_VMA_BEFORE);
    ProcMapsReader reader = new ProcMapsReader(ctx);
    ctx.mm().munmap(ctx.layout().slotStart(7) + 4 * AddressLayout.PAGE, AddressLayout.PAGE);
    reader.readMaps();
    assertThat(ctx.violations().violationCount()).isPositive();
  }
}
