package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.Errno;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmErrnoException;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.sim.world.AddressLayout;
import java.util.SplittableRandom;

/**
 * The {@code PROCMAP_QUERY} ioctl on {@code /proc/pid/maps}: {@code do_procmap_query()} of
 * fs/proc/task_mmu.c, one query by address.
 *
 * <p>With per-VMA locks (Linux 6.17 and later) {@code query_vma_setup()} takes nothing and {@code
 * query_vma_find_by_addr()} calls {@code lock_next_vma(mm, &vmi, addr)}: the first VMA ending above
 * {@code addr}, read-locked; on {@code -EAGAIN} (its reader count at the limit) it falls back to
 * {@code mmap_read_lock()} and {@code find_vma()}. Without them ({@code MMAP_LOCK_ONLY}) {@code
 * query_vma_setup()} is {@code mmap_read_lock_killable()} and the lookup {@code find_vma()}. A VMA
 * that starts above {@code addr} answers only a query with {@code
 * PROCMAP_QUERY_COVERING_OR_NEXT_VMA}; otherwise, and when there is no VMA, the answer is {@code
 * -ENOENT}. The VMA's fields are copied out while it is held; {@code query_vma_teardown()} drops
 * the lock.
 *
 * <p>Checks: the answer covers {@code addr}, or is the next VMA when asked for it (F1-F4 on the
 * held VMA, I1 while held), and a query inside a text slot, which no writer touches, answers that
 * slot exactly. The series does not change this path. What the model leaves out: the query's other
 * filters ({@code PROCMAP_QUERY_VMA_READABLE} and the rest), build IDs and file names.
 */
public final class ProcmapQuery implements KernelCaller {
  private final SimContext ctx;
  private final MmStruct mm;

  /**
   * Creates the caller.
   *
   * @param ctx the run's context
   */
  public ProcmapQuery(SimContext ctx) {
    this.ctx = ctx;
    this.mm = ctx.mm();
  }

  @Override
  public String name() {
    return CallerKind.PROCMAP_QUERY.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    return query(ctx.layout().pickAddress(rnd, null), rnd.nextBoolean());
  }

  /**
   * One query. Context: holds no lock of the mm on entry or return; may block in the {@code
   * mmap_lock} paths.
   *
   * @param addr the queried address
   * @param coveringOrNext {@code PROCMAP_QUERY_COVERING_OR_NEXT_VMA}: a VMA above {@code addr} is
   *     an answer too
   * @return {@link Outcome#VMA_LOCKED} answered under the VMA's read lock, {@link
   *     Outcome#MMAP_LOCKED} under {@code mmap_lock}, {@link Outcome#NO_VMA} for {@code -ENOENT},
   *     {@link Outcome#REFUSED} for {@code -EINTR} (interrupted in {@code
   *     mmap_read_lock_killable()}, nothing held)
   */
  public Outcome query(long addr, boolean coveringOrNext) {
    boolean mmapLocked;
    VmArea vma;
    if (ctx.world().lockMode() == LockMode.MMAP_LOCK_ONLY) {
      try {
        mm.mmapReadLockKillable();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.REFUSED;
      }
      mmapLocked = true;
      vma = mm.findVma(addr);
    } else {
      try {
        // query_vma_find_by_addr(): rcu_read_lock(); lock_next_vma(); rcu_read_unlock().
        Rcu.Reader rd = mm.rcu().reader();
        rd.lock();
        try {
          vma = mm.lockNextVma(rd, addr);
        } finally {
          rd.unlock();
        }
        mmapLocked = false;
      } catch (MmErrnoException e) {
        if (e.errno() == Errno.EINTR) {
          return Outcome.REFUSED; // lock_next_vma's fallback was killed; interrupt status kept
        }
        if (e.errno() != Errno.EAGAIN) {
          throw e;
        }
        // query_vma_find_by_addr(): "Fallback to mmap_lock on vma->vm_refcnt overflow",
        // mmap_read_lock() (not killable there), then find_vma().
        mm.mmapReadLock();
        mmapLocked = true;
        vma = mm.findVma(addr);
      }
    }
    try {
      if (vma == null || (!coveringOrNext && addr < vma.start())) {
        return Outcome.NO_VMA; // -ENOENT
      }
      copyOut(vma, addr, !mmapLocked);
      return mmapLocked ? Outcome.MMAP_LOCKED : Outcome.VMA_LOCKED;
    } finally {
      if (mmapLocked) {
        mm.mmapReadUnlock();
      } else if (vma != null) {
        vma.endRead();
      }
    }
  }

  /** Fills the answer from the held VMA, checking it. */
  private void copyOut(VmArea vma, long addr, boolean vmaLocked) {
    String who = name();
    SimContext.Snapshot snap = ctx.checkLocked(who, vma, Math.max(addr, vma.start()), vmaLocked);
    AddressLayout layout = ctx.layout();
    if (addr >= AddressLayout.BASE && addr < layout.limit()) {
      int slot = layout.slotOf(addr);
      if (AddressLayout.kind(slot) == AddressLayout.Kind.TEXT
          && addr < layout.slotEnd(slot)
          && (vma.start() != layout.slotStart(slot) || vma.end() != layout.slotEnd(slot))) {
        ctx.violations()
            .violation(
                who,
                "F11: query "
                    + SimContext.hex(addr)
                    + " in text VMA "
                    + SimContext.hex(layout.slotStart(slot))
                    + "-"
                    + SimContext.hex(layout.slotEnd(slot))
                    + " answered "
                    + SimContext.hex(vma.start())
                    + "-"
                    + SimContext.hex(vma.end()));
      }
    }
    ctx.cost().underLock(CallerKind.PROCMAP_QUERY);
    ctx.checkStable(who, vma, snap);
  }
}
