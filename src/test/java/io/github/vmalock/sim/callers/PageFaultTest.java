package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static io.github.vmalock.sim.callers.SimTestSupport.hole;
import static io.github.vmalock.sim.callers.SimTestSupport.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.VmaLockStats;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PageFault: do_user_addr_fault")
class PageFaultTest {

  @Test
  @DisplayName("a fault on a mapped page is handled under the VMA lock and counts VMA_LOCK_SUCCESS")
  void fastPath() {
    SimContext ctx = ctx(World.SERIES);
    PageFault pf = new PageFault(ctx, 0);
    VmaLockStats before = ctx.mm().vmaLockStats();
    assertThat(pf.fault(anon(ctx), true, false)).isEqualTo(Outcome.VMA_LOCKED);
    assertThat(ctx.pages().present(anon(ctx))).isTrue();
    assertThat(ctx.mm().vmaLockStats().success()).isEqualTo(before.success() + 1);
    assertClean(ctx);
  }

  @Test
  @DisplayName(
      "VM_FAULT_RETRY from under the VMA lock: counts VMA_LOCK_RETRY, completes under mmap_lock")
  void retryFallsBack() {
    SimContext ctx = ctx(World.PER_VMA_BEFORE);
    PageFault pf = new PageFault(ctx, 1.0);
    VmaLockStats before = ctx.mm().vmaLockStats();
    assertThat(pf.fault(anon(ctx), false, true)).isEqualTo(Outcome.MMAP_LOCKED);
    assertThat(pf.retries()).isEqualTo(1);
    assertThat(ctx.mm().vmaLockStats().retry()).isEqualTo(before.retry() + 1);
    assertThat(ctx.pages().present(anon(ctx))).isTrue();
    assertClean(ctx);
  }

  @Test
  @DisplayName("no VMA: SIGSEGV via bad_area_nosemaphore, nothing held")
  void noVma() {
    SimContext ctx = ctx(World.SERIES);
    assertThat(new PageFault(ctx, 0).fault(SimTestSupport.hole(ctx), false, false))
        .isEqualTo(Outcome.NO_VMA);
    assertClean(ctx);
  }

  @Test
  @DisplayName("access error under the VMA lock: unlocks, counts VMA_LOCK_SUCCESS, SIGSEGV")
  void accessError() {
    SimContext ctx = ctx(World.SERIES);
    VmaLockStats before = ctx.mm().vmaLockStats();
    assertThat(new PageFault(ctx, 0).fault(text(ctx), true, false)).isEqualTo(Outcome.REFUSED);
    assertThat(ctx.mm().vmaLockStats().success()).isEqualTo(before.success() + 1);
    assertThat(ctx.pages().present(text(ctx))).isFalse();
    assertClean(ctx);
  }

  @Test
  @DisplayName("without per-VMA locks every fault takes mmap_lock")
  void mmapLockOnly() {
    SimContext ctx = ctx(World.NO_PER_VMA_LOCKS);
    PageFault pf = new PageFault(ctx, 0);
    assertThat(pf.fault(anon(ctx), true, false)).isEqualTo(Outcome.MMAP_LOCKED);
    assertThat(pf.fault(text(ctx), true, false)).isEqualTo(Outcome.REFUSED);
    assertThat(pf.fault(hole(ctx), false, false)).isEqualTo(Outcome.NO_VMA);
    assertClean(ctx);
  }

  @Test
  @DisplayName("a VMA write-locked by a writer sends the fault to the fallback, which waits")
  void writerForcesFallback() throws Exception {
    SimContext ctx = ctx(World.SERIES);
    PageFault pf = new PageFault(ctx, 0);
    Outcome[] out = new Outcome[1];
    Thread faulter;
    try (var w = new SimTestSupport.WriterHold(ctx.mm(), anon(ctx))) {
      faulter = new Thread(() -> out[0] = pf.fault(anon(ctx), true, false));
      faulter.start();
    }
    faulter.join();
    assertThat(out[0]).isIn(Outcome.MMAP_LOCKED, Outcome.VMA_LOCKED);
    assertClean(ctx);
  }

  @Test
  @DisplayName("retry rate outside [0, 1] is refused")
  void badRetryRate() {
    SimContext ctx = ctx(World.SERIES);
    assertThatThrownBy(() -> new PageFault(ctx, 1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.5");
  }
}
