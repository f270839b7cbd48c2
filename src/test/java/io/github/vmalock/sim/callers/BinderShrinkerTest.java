package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("BinderShrinker: binder_alloc_free_page")
class BinderShrinkerTest {

  @Test
  @DisplayName("the no-sleep context it runs in turns a blocking call into an exception")
  void noSleepContextRefusesBlocking() {
    SimContext ctx = ctx(World.SERIES);
    assertThatThrownBy(() -> ctx.mm().noSleep(() -> ctx.mm().mmapReadLock()))
        .isInstanceOf(IllegalStateException.class);
    assertClean(ctx);
  }

  @Test
  @DisplayName("before and after the series: zaps the page under the VMA lock when uncontended")
  void uncontended() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      ctx.pages().set(anon(ctx));
      Outcome o = new BinderShrinker(ctx, new BinderAlloc(), w.shape()).freePage(anon(ctx));
      assertThat(o)
          .as(w.label())
          .isEqualTo(w == World.NO_PER_VMA_LOCKS ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED);
      assertThat(ctx.pages().present(anon(ctx))).isFalse();
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName(
      "never blocks on a writer: before, the failed trylock skips; after, the page is freed unzapped")
  void neverBlocksOnWriter() throws Exception {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      BinderShrinker s = new BinderShrinker(ctx, new BinderAlloc(), w.shape());
      Outcome o;
      try (var writer = new SimTestSupport.WriterHold(ctx.mm(), anon(ctx))) {
        // Runs inside mm.noSleep: had it tried to sleep on the writer, it would have thrown.
        o = s.freePage(anon(ctx));
      }
      assertThat(o)
          .as(w.label())
          .isEqualTo(w.shape() == SeriesShape.BEFORE ? Outcome.SKIPPED : Outcome.NO_VMA);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("alloc->mutex held elsewhere: LRU_SKIP, releasing whichever lock it took")
  void mutexTrylockFails() throws Exception {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      BinderAlloc alloc = new BinderAlloc();
      CountDownLatch held = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread owner =
          new Thread(
              () -> {
                alloc.mutex().lock();
                try {
                  held.countDown();
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  alloc.mutex().unlock();
                }
              });
      owner.start();
      held.await();
      Outcome o = new BinderShrinker(ctx, alloc, w.shape()).freePage(anon(ctx));
      release.countDown();
      owner.join();
      assertThat(o).as(w.label()).isEqualTo(Outcome.SKIPPED);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("an unmapped alloc with a VMA present: err_invalid_vma, skipped")
  void unmappedAlloc() {
    SimContext ctx = ctx(World.PER_VMA_BEFORE);
    BinderAlloc alloc = new BinderAlloc();
    alloc.setMapped(false);
    assertThat(new BinderShrinker(ctx, alloc, SeriesShape.BEFORE).freePage(anon(ctx)))
        .isEqualTo(Outcome.SKIPPED);
    assertClean(ctx);
  }
}
