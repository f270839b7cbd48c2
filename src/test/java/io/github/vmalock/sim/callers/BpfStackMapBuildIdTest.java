package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static io.github.vmalock.sim.callers.SimTestSupport.hole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("BpfStackMapBuildId: stack_map_lock_vma / stack_map_unlock_vma")
class BpfStackMapBuildIdTest {

  @Test
  @DisplayName("correct shape: VMA lock with per-VMA locks, mmap_lock without, balanced either way")
  void correct() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      BpfStackMapBuildId bpf = BpfStackMapBuildId.correct(ctx);
      assertThat(bpf.buildIdOffset(anon(ctx) + 0x10))
          .as(w.label())
          .isEqualTo(w == World.NO_PER_VMA_LOCKS ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED);
      assertThat(bpf.buildIdOffset(hole(ctx))).isEqualTo(Outcome.NO_VMA);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("correct shape never blocks: with a writer holding mmap_lock the trylock fails")
  void trylockOnly() throws Exception {
    SimContext ctx = ctx(World.SERIES);
    BpfStackMapBuildId bpf = BpfStackMapBuildId.correct(ctx);
    Outcome o;
    try (var w = new SimTestSupport.WriterHold(ctx.mm(), anon(ctx))) {
      o = bpf.buildIdOffset(anon(ctx));
    }
    assertThat(o).isEqualTo(Outcome.NO_VMA);
    assertClean(ctx);
  }

  @Test
  @DisplayName(
      "seed v2 shape: unlocks an mmap_lock never taken (refused) and leaks the VMA reference")
  void seedV2() {
    SimContext ctx = ctx(World.SERIES);
    BpfStackMapBuildId bpf = BpfStackMapBuildId.seedV2(ctx);
    BpfStackMapBuildId.VmaLock lock = new BpfStackMapBuildId.VmaLock();
    VmArea vma = bpf.stackMapLockVma(lock, anon(ctx));
    assertThat(vma).isNotNull();
    assertThat(ctx.mm().mmapLock().getReadHoldCount()).isZero();
    int held = vma.refcnt();
    assertThatThrownBy(() -> bpf.stackMapUnlockVma(lock)).isInstanceOf(IllegalStateException.class);
    assertThat(vma.refcnt()).isEqualTo(held);
    assertThatThrownBy(() -> ctx.mm().assertQuiescent()).isInstanceOf(IllegalStateException.class);
    vma.endRead();
    ctx.mm().assertQuiescent();
  }

  @Test
  @DisplayName("seed v2 shape needs per-VMA locks")
  void seedV2NeedsPerVma() {
    SimContext ctx = ctx(World.NO_PER_VMA_LOCKS);
    assertThatThrownBy(() -> BpfStackMapBuildId.seedV2(ctx))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MMAP_LOCK_ONLY");
  }
}
