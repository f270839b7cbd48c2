package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.Errno;
import io.github.vmalock.mm.MmErrnoException;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 4.2: reader-count overflow is a result, not a failure. {@code lock_next_vma}
 * returns {@code ERR_PTR(-EAGAIN)} (here {@link MmErrnoException} with {@link Errno#EAGAIN}) and
 * the {@code /proc} readers of {@code fs/proc/task_mmu.c} fall back to the mmap lock: {@code
 * fallback_to_mmap_lock()} for maps, {@code query_vma_find_by_addr()} for {@code PROCMAP_QUERY}.
 */
class ProcLockPathTest {
  /** A per-VMA mm whose reader limit is 2: one reader besides the attach reference fills it. */
  private static SimContext ctxAtLimit() {
    MmStruct mm = MmStruct.builder().lockMode(World.SERIES.lockMode()).refcntLimit(2).build();
    AddressLayout layout = new AddressLayout(AddressLayout.MIN_SLOTS);
    layout.populate(mm);
    return SimContext.of(mm, World.SERIES, layout);
  }

  @Test
  @DisplayName(
      "a VMA at its reader limit: lock_vma_under_rcu null, lock_next_vma EAGAIN, both"
          + " holding nothing")
  void modelReturns() {
    SimContext ctx = ctxAtLimit();
    MmStruct mm = ctx.mm();
    VmArea held = mm.lockVmaUnderRcu(text(ctx));
    assertThat(held).isNotNull();
    try {
      assertThat(mm.lockVmaUnderRcu(text(ctx))).as("vma_start_read fails: NULL").isNull();
      assertThatThrownBy(() -> mm.lockNextVma(text(ctx)))
          .isInstanceOf(MmErrnoException.class)
          .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EAGAIN));
      assertThat(mm.mmapLock().getReadLockCount()).isZero();
      assertThat(mm.rcu().isReadLocked()).isFalse();
      assertThat(held.refcnt()).as("nothing taken").isEqualTo(2);
    } finally {
      held.endRead();
    }
    assertClean(ctx);
  }

  @Test
  @DisplayName("/proc/pid/maps and PROCMAP_QUERY fall back to mmap_lock on EAGAIN and finish")
  void procReadersFallBack() {
    SimContext ctx = ctxAtLimit();
    MmStruct mm = ctx.mm();
    VmArea held = mm.lockVmaUnderRcu(text(ctx));
    assertThat(held).isNotNull();
    try {
      assertThat(new ProcmapQuery(ctx).query(text(ctx), false))
          .as("PROCMAP_QUERY answered under mmap_lock")
          .isEqualTo(Outcome.MMAP_LOCKED);
      ProcMapsReader maps = new ProcMapsReader(ctx);
      assertThat(maps.call(new SplittableRandom(1))).isEqualTo(Outcome.MMAP_LOCKED);
      assertThat(maps.retries()).as("fallback_to_mmap_lock once").isEqualTo(1);
      assertThat(mm.mmapLock().getReadLockCount()).isZero();
      assertThat(held.refcnt()).isEqualTo(2);
    } finally {
      held.endRead();
    }
    assertClean(ctx);
  }
}
