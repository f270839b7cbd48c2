package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static io.github.vmalock.sim.callers.SimTestSupport.hole;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("BinderInstallPage: binder_page_insert")
class BinderInstallPageTest {

  @Test
  @DisplayName("inserts the page under the VMA lock, or under mmap_lock without per-VMA locks")
  void inserts() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      Outcome o = new BinderInstallPage(ctx, new BinderAlloc(), w.shape()).insertPage(anon(ctx));
      assertThat(o)
          .as(w.label())
          .isEqualTo(w == World.NO_PER_VMA_LOCKS ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED);
      assertThat(ctx.pages().present(anon(ctx))).isTrue();
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName(
      "no VMA: -ESRCH, nothing held (after the series: vma_start_read_unlocked returns NULL)")
  void noVma() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      assertThat(new BinderInstallPage(ctx, new BinderAlloc(), w.shape()).insertPage(hole(ctx)))
          .as(w.label())
          .isEqualTo(Outcome.NO_VMA);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("after the series it waits for a writer and then inserts under the VMA lock")
  void afterWaitsForWriter() throws Exception {
    SimContext ctx = ctx(World.SERIES);
    BinderInstallPage install = new BinderInstallPage(ctx, new BinderAlloc(), SeriesShape.AFTER);
    Outcome[] out = new Outcome[1];
    Thread t;
    try (var w = new SimTestSupport.WriterHold(ctx.mm(), anon(ctx))) {
      t = new Thread(() -> out[0] = install.insertPage(anon(ctx)));
      t.start();
    }
    t.join();
    assertThat(out[0]).isEqualTo(Outcome.VMA_LOCKED);
    assertThat(ctx.pages().present(anon(ctx))).isTrue();
    assertClean(ctx);
  }

  @Test
  @DisplayName("an unmapped alloc refuses the insert and releases the lock")
  void unmapped() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      BinderAlloc alloc = new BinderAlloc();
      alloc.setMapped(false);
      assertThat(new BinderInstallPage(ctx, alloc, w.shape()).insertPage(anon(ctx)))
          .isEqualTo(Outcome.REFUSED);
      assertClean(ctx);
    }
  }
}
