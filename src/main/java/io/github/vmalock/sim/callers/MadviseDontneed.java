package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.PageTable;
import java.util.SplittableRandom;

/**
 * {@code madvise(addr, len, MADV_DONTNEED)} on the process's own memory: {@code
 * madvise_do_behavior()} of mm/madvise.c with the VMA-read-lock mode that {@code get_lock_mode()}
 * picks for {@code MADV_DONTNEED} (Linux 6.16 and later).
 *
 * <ol>
 *   <li>{@code try_vma_read_lock()}: {@code lock_vma_under_rcu(mm, start)}; if it returns a VMA and
 *       the range ends inside it ({@code range.end <= vma->vm_end}; the model has no userfaultfd
 *       and no remote callers), zap the range's pages under that VMA's read lock and {@code
 *       vma_end_read()}.
 *   <li>Otherwise (no VMA locked, or the range spans past the VMA): drop the VMA lock if one was
 *       taken, {@code mmap_read_lock()}, and {@code madvise_walk_vmas()}: zap the part of every VMA
 *       the range covers; an unmapped part makes the call return {@code -ENOMEM} after the others
 *       are zapped.
 * </ol>
 *
 * <p>The zap ({@code zap_page_range_single()}) clears the range's pages in the {@link PageTable};
 * the cost model's hold for {@link CallerKind#MADVISE_DONTNEED} is spent under the lock. The series
 * does not change this path. What the model leaves out: the {@code VM_LOCKED}/{@code
 * VM_PFNMAP}/hugetlb refusals ({@code -EINVAL}; no such VMA in the layout), the TLB flush, and
 * {@code MADV_DONTNEED}'s effect on the next fault (a zero page).
 */
public final class MadviseDontneed implements KernelCaller {
  /** Most pages one call covers. */
  static final int MAX_PAGES = 4;

  private final SimContext ctx;
  private final MmStruct mm;

  /**
   * Creates the caller.
   *
   * @param ctx the run's context
   */
  public MadviseDontneed(SimContext ctx) {
    this.ctx = ctx;
    this.mm = ctx.mm();
  }

  @Override
  public String name() {
    return CallerKind.MADVISE_DONTNEED.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    AddressLayout layout = ctx.layout();
    int slot = layout.pickSlot(rnd, AddressLayout.Kind.ANON);
    long start =
        layout.slotStart(slot) + rnd.nextInt(AddressLayout.SLOT_PAGES) * AddressLayout.PAGE;
    long end =
        Math.min(start + (1 + rnd.nextInt(MAX_PAGES)) * AddressLayout.PAGE, layout.slotEnd(slot));
    return dontneed(start, end - start);
  }

  /**
   * One {@code madvise(start, len, MADV_DONTNEED)}. Context: holds no lock of the mm on entry or
   * return; may block in {@code mmap_read_lock()}.
   *
   * @param start page-aligned start
   * @param len length in bytes, a positive multiple of the page size
   * @return {@link Outcome#VMA_LOCKED} zapped under one VMA's read lock, {@link
   *     Outcome#MMAP_LOCKED} zapped under {@code mmap_lock} (all of the range, or the mapped parts
   *     with {@code -ENOMEM}), {@link Outcome#NO_VMA} nothing mapped in the range ({@code -ENOMEM})
   * @throws IllegalArgumentException if the range is unaligned or empty (nothing is locked)
   */
  public Outcome dontneed(long start, long len) {
    if ((start & (AddressLayout.PAGE - 1)) != 0
        || len <= 0
        || (len & (AddressLayout.PAGE - 1)) != 0) {
      throw new IllegalArgumentException(
          "madvise range must be page-aligned and non-empty: start "
              + SimContext.hex(start)
              + ", len "
              + len);
    }
    long end = start + len;
    String who = name();
    VmArea vma = mm.lockVmaUnderRcu(start);
    if (vma != null) {
      if (end <= vma.end()) { // is_vma_lock_sufficient(): a single VMA
        SimContext.Snapshot snap = ctx.checkLocked(who, vma, start, true);
        zap(start, end);
        ctx.checkStable(who, vma, snap);
        vma.endRead();
        return Outcome.VMA_LOCKED;
      }
      vma.endRead();
    }
    mm.mmapReadLock(); // take_mmap_read_lock
    try {
      boolean any = false;
      long addr = start;
      for (VmArea v = mm.findVma(addr); v != null && v.start() < end; v = mm.findVma(addr)) {
        long s = Math.max(addr, v.start());
        long e = Math.min(end, v.end());
        SimContext.Snapshot snap = ctx.checkLocked(who, v, s, false);
        zap(s, e);
        ctx.checkStable(who, v, snap);
        any = true;
        addr = v.end();
        if (addr >= end) {
          break;
        }
      }
      return any ? Outcome.MMAP_LOCKED : Outcome.NO_VMA;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** {@code zap_page_range_single()}: the pages go; the cost model's hold is spent here. */
  private void zap(long start, long end) {
    for (long a = start; a < end; a += AddressLayout.PAGE) {
      ctx.pages().clear(a);
    }
    ctx.cost().underLock(CallerKind.MADVISE_DONTNEED);
  }
}
