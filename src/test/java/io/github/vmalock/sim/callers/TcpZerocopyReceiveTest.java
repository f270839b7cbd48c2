package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static io.github.vmalock.sim.callers.SimTestSupport.hole;
import static io.github.vmalock.sim.callers.SimTestSupport.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("TcpZerocopyReceive: tcp_zerocopy_receive / find_tcp_vma")
class TcpZerocopyReceiveTest {

  @Test
  @DisplayName("a socket mapping: pages inserted under the lock mmap_locked says, then unlocked")
  void socketMapping() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      Outcome o = new TcpZerocopyReceive(ctx, w.shape()).receive(tcp(ctx));
      assertThat(o)
          .as(w.label())
          .isEqualTo(w == World.NO_PER_VMA_LOCKS ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED);
      for (int i = 0; i < TcpZerocopyReceive.RECEIVE_PAGES; i++) {
        assertThat(ctx.pages().present(tcp(ctx) + i * AddressLayout.PAGE)).isTrue();
      }
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("vm_ops is not tcp_vm_ops: -EINVAL, the lock released")
  void notSocket() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      assertThat(new TcpZerocopyReceive(ctx, w.shape()).receive(anon(ctx)))
          .as(w.label())
          .isEqualTo(Outcome.REFUSED);
      assertThat(ctx.pages().present(anon(ctx))).isFalse();
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("no VMA: -EINVAL, nothing held")
  void noVma() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      assertThat(new TcpZerocopyReceive(ctx, w.shape()).receive(hole(ctx)))
          .isEqualTo(Outcome.NO_VMA);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("the receive stops at the VMA's end (vma_len = min(length, vm_end - address))")
  void clampsToVma() {
    SimContext ctx = ctx(World.SERIES);
    long last = ctx.layout().slotEnd(5) - AddressLayout.PAGE;
    assertThat(new TcpZerocopyReceive(ctx, SeriesShape.AFTER).receive(last))
        .isEqualTo(Outcome.VMA_LOCKED);
    assertThat(ctx.pages().present(last)).isTrue();
    assertThat(ctx.pages().present(last + AddressLayout.PAGE)).isFalse();
    assertClean(ctx);
  }
}
