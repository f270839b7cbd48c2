package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.SeriesShape;
import java.util.SplittableRandom;

/**
 * Binder's page install, {@code binder_page_insert()} called from {@code
 * binder_install_single_page()} (drivers/android/binder_alloc.c): maps one freshly allocated page
 * into the binder VMA with {@code vm_insert_page()}.
 *
 * <p>{@link SeriesShape#BEFORE}: {@code lock_vma_under_rcu()}; on success insert if the alloc is
 * mapped, {@code vma_end_read()}; else {@code mmap_read_lock()}, {@code vma_lookup()}, insert,
 * {@code mmap_read_unlock()}. {@link SeriesShape#AFTER} (series patch 4): {@code vma =
 * vma_start_read_unlocked(mm, addr)}; NULL: {@code -ESRCH}; insert; {@code vma_end_read()}.
 */
public final class BinderInstallPage implements KernelCaller {
  private final SimContext ctx;
  private final MmStruct mm;
  private final BinderAlloc alloc;
  private final SeriesShape shape;

  /**
   * Creates the install path.
   *
   * @param ctx the run's context
   * @param alloc the binder alloc
   * @param shape before or after the series
   */
  public BinderInstallPage(SimContext ctx, BinderAlloc alloc, SeriesShape shape) {
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.alloc = alloc;
    this.shape = shape;
  }

  @Override
  public String name() {
    return CallerKind.BINDER_INSTALL.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    return insertPage(ctx.layout().pickAddress(rnd, AddressLayout.Kind.ANON));
  }

  /**
   * Installs the page at {@code addr}. Context: holds no lock of the mm on entry or return; may
   * block ({@code mmap_read_lock} before the series, {@code vma_start_read_unlocked}'s slow path
   * after it).
   *
   * @param addr page-aligned user address
   * @return {@link Outcome#VMA_LOCKED} or {@link Outcome#MMAP_LOCKED}: inserted under that lock;
   *     {@link Outcome#NO_VMA}: {@code -ESRCH}; {@link Outcome#REFUSED}: the alloc is not mapped
   */
  public Outcome insertPage(long addr) {
    return shape == SeriesShape.BEFORE ? before(addr) : after(addr);
  }

  private Outcome before(long addr) {
    VmArea vma = mm.lockVmaUnderRcu(addr); // attempt per-vma lock first
    if (vma != null) {
      Outcome out = insert(vma, addr, true, Outcome.VMA_LOCKED);
      vma.endRead();
      return out;
    }
    mm.mmapReadLock(); // fall back to mmap_lock
    try {
      vma = mm.vmaLookup(addr);
      return vma == null ? Outcome.NO_VMA : insert(vma, addr, false, Outcome.MMAP_LOCKED);
    } finally {
      mm.mmapReadUnlock();
    }
  }

  private Outcome after(long addr) {
    VmArea vma = mm.vmaStartReadUnlocked(addr);
    if (vma == null) {
      return Outcome.NO_VMA;
    }
    Outcome out = insert(vma, addr, true, Outcome.VMA_LOCKED);
    vma.endRead();
    return out;
  }

  private Outcome insert(VmArea vma, long addr, boolean vmaLocked, Outcome ok) {
    SimContext.Snapshot snap = ctx.checkLocked(name(), vma, addr, vmaLocked);
    if (!alloc.isMapped()) {
      return Outcome.REFUSED;
    }
    ctx.pages().set(addr); // vm_insert_page(vma, addr, page)
    ctx.cost().underLock(CallerKind.BINDER_INSTALL);
    ctx.checkStable(name(), vma, snap);
    return ok;
  }
}
