package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.SeriesShape;
import java.util.SplittableRandom;

/**
 * Binder's shrinker callback {@code binder_alloc_free_page()} (drivers/android/binder_alloc.c),
 * which frees one binder page under memory pressure and must never block: reclaim cannot wait for a
 * writer. Every call runs inside {@link MmStruct#noSleep(Runnable)}, so a blocking mm call throws
 * instead of sleeping, and "the shrinker never blocks" is checked on every call.
 *
 * <p>{@link SeriesShape#BEFORE} (upstream): {@code lock_vma_under_rcu()}; NULL: {@code
 * mmap_read_trylock()} (failure: {@code LRU_SKIP}) and {@code vma_lookup()}; then {@code
 * mutex_trylock(&alloc->mutex)} (failure: unlock whichever lock was taken, skip); a VMA while the
 * alloc is not mapped: skip; zap the page if there is a VMA; unlock whichever was taken.
 *
 * <p>{@link SeriesShape#AFTER} (series patch 2, v2): {@code lock_vma_under_rcu()} alone, no
 * fallback (its failure has the same cause as a failed trylock: a writer); on NULL the page is
 * still freed, without a zap (the v2 change); {@code vma_end_read()} only if a VMA was locked.
 */
public final class BinderShrinker implements KernelCaller {
  private final SimContext ctx;
  private final MmStruct mm;
  private final BinderAlloc alloc;
  private final SeriesShape shape;

  /**
   * Creates the shrinker callback.
   *
   * @param ctx the run's context
   * @param alloc the binder alloc whose pages it frees
   * @param shape before or after the series
   */
  public BinderShrinker(SimContext ctx, BinderAlloc alloc, SeriesShape shape) {
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.alloc = alloc;
    this.shape = shape;
  }

  @Override
  public String name() {
    return CallerKind.BINDER_SHRINKER.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    return freePage(ctx.layout().pickAddress(rnd, AddressLayout.Kind.ANON));
  }

  /**
   * Frees the binder page at {@code pageAddr}, inside the mm's no-sleep context. Context: holds no
   * lock of the mm on entry or return; never blocks (a blocking call throws {@link
   * IllegalStateException} from the no-sleep check).
   *
   * @param pageAddr page-aligned user address of the binder page
   * @return {@link Outcome#VMA_LOCKED} or {@link Outcome#MMAP_LOCKED} when the page was zapped
   *     under that lock, {@link Outcome#NO_VMA} when freed without a VMA to zap, {@link
   *     Outcome#SKIPPED} for {@code LRU_SKIP}
   */
  public Outcome freePage(long pageAddr) {
    Outcome[] result = new Outcome[1];
    mm.noSleep(() -> result[0] = shape == SeriesShape.BEFORE ? before(pageAddr) : after(pageAddr));
    return result[0];
  }

  private Outcome before(long pageAddr) {
    boolean mmLocked = false;
    VmArea vma = mm.lockVmaUnderRcu(pageAddr); // attempt per-vma lock first
    if (vma == null) {
      // fall back to mmap_lock
      if (!mm.mmapReadTrylock()) {
        return Outcome.SKIPPED; // err_mmap_read_lock_failed
      }
      mmLocked = true;
      vma = mm.vmaLookup(pageAddr);
    }
    SimContext.Snapshot snap =
        vma == null ? null : ctx.checkLocked(name(), vma, pageAddr, !mmLocked);
    Outcome out = zapUnderLocks(vma, pageAddr, snap, mmLocked);
    if (mmLocked) {
      mm.mmapReadUnlock();
    } else {
      vma.endRead();
    }
    return out;
  }

  private Outcome after(long pageAddr) {
    VmArea vma = mm.lockVmaUnderRcu(pageAddr);
    SimContext.Snapshot snap = vma == null ? null : ctx.checkLocked(name(), vma, pageAddr, true);
    Outcome out = zapUnderLocks(vma, pageAddr, snap, false);
    if (vma != null) {
      vma.endRead();
    }
    return out;
  }

  /** The part between taking the VMA/mmap lock and releasing it. */
  private Outcome zapUnderLocks(
      VmArea vma, long pageAddr, SimContext.Snapshot snap, boolean mmLocked) {
    if (!alloc.mutex().tryLock()) {
      return Outcome.SKIPPED; // err_get_alloc_mutex_failed
    }
    try {
      if (vma != null && !alloc.isMapped()) {
        return Outcome.SKIPPED; // err_invalid_vma
      }
      if (vma == null) {
        ctx.pages().clear(pageAddr); // freed, nothing to zap
        return Outcome.NO_VMA;
      }
      ctx.pages().clear(pageAddr); // zap_page_range_single(vma, page_addr, PAGE_SIZE)
      ctx.cost().underLock(CallerKind.BINDER_SHRINKER);
      ctx.checkStable(name(), vma, snap);
      return mmLocked ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED;
    } finally {
      alloc.mutex().unlock();
    }
  }
}
