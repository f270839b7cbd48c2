package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.SeriesShape;
import java.util.SplittableRandom;

/**
 * TCP zerocopy receive: {@code tcp_zerocopy_receive()} and its {@code find_tcp_vma()}
 * (net/ipv4/tcp.c), which maps received pages into a VMA created by {@code mmap()} on the socket.
 * The model has no {@code vm_ops}: a VMA is the socket's when its flags are exactly {@link
 * AddressLayout#TCP_FLAGS} (shared, read-only: {@code tcp_mmap()} refuses {@code VM_WRITE} and
 * {@code VM_EXEC}), standing for {@code vma->vm_ops == &tcp_vm_ops}.
 *
 * <p>{@link SeriesShape#BEFORE}: {@code lock_vma_under_rcu()}; on success check {@code vm_ops}
 * (mismatch: {@code vma_end_read()}, NULL) and report {@code mmap_locked = false}; else {@code
 * mmap_read_lock()}, {@code vma_lookup()}, the same check (failure: unlock, NULL), {@code
 * mmap_locked = true}. The receive then inserts pages and unlocks with {@code mmap_read_unlock()}
 * or {@code vma_end_read()} as {@code mmap_locked} says. {@link SeriesShape#AFTER} (series patch
 * 5): {@code vma_start_read_unlocked()} plus the {@code vm_ops} check; always {@code
 * vma_end_read()}.
 */
public final class TcpZerocopyReceive implements KernelCaller {
  /** Pages a receive maps at most ({@code zc->length}). */
  static final int RECEIVE_PAGES = 4;

  private final SimContext ctx;
  private final MmStruct mm;
  private final SeriesShape shape;

  /**
   * Creates the receive path.
   *
   * @param ctx the run's context
   * @param shape before or after the series
   */
  public TcpZerocopyReceive(SimContext ctx, SeriesShape shape) {
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.shape = shape;
  }

  @Override
  public String name() {
    return CallerKind.TCP_ZEROCOPY.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    // Mostly socket mappings; one in eight a random slot, to exercise the vm_ops check.
    AddressLayout.Kind kind = rnd.nextInt(8) == 0 ? null : AddressLayout.Kind.TCP;
    return receive(ctx.layout().pickAddress(rnd, kind));
  }

  /** {@code vma->vm_ops == &tcp_vm_ops} in the model. */
  static boolean isTcpVma(VmArea vma) {
    return vma.flags() == AddressLayout.TCP_FLAGS;
  }

  /**
   * One {@code tcp_zerocopy_receive()} at {@code address}. Context: holds no lock of the mm on
   * entry or return; may block in the {@code mmap_lock} fallback (before) or in {@code
   * vma_start_read_unlocked()}'s slow path (after).
   *
   * @param address the user address of the receive buffer
   * @return {@link Outcome#VMA_LOCKED} or {@link Outcome#MMAP_LOCKED} (pages mapped under that
   *     lock), {@link Outcome#NO_VMA} or {@link Outcome#REFUSED} ({@code -EINVAL})
   */
  public Outcome receive(long address) {
    return shape == SeriesShape.BEFORE ? before(address) : after(address);
  }

  private Outcome before(long address) {
    boolean mmapLocked;
    VmArea vma = mm.lockVmaUnderRcu(address);
    if (vma != null) {
      if (!isTcpVma(vma)) {
        vma.endRead();
        return Outcome.REFUSED;
      }
      mmapLocked = false;
    } else {
      mm.mmapReadLock();
      vma = mm.vmaLookup(address);
      if (vma == null || !isTcpVma(vma)) {
        mm.mmapReadUnlock();
        return vma == null ? Outcome.NO_VMA : Outcome.REFUSED;
      }
      mmapLocked = true;
    }
    insertPages(vma, address, !mmapLocked);
    if (mmapLocked) {
      mm.mmapReadUnlock();
      return Outcome.MMAP_LOCKED;
    }
    vma.endRead();
    return Outcome.VMA_LOCKED;
  }

  private Outcome after(long address) {
    VmArea vma = mm.vmaStartReadUnlocked(address);
    if (vma == null) {
      return Outcome.NO_VMA;
    }
    if (!isTcpVma(vma)) {
      vma.endRead();
      return Outcome.REFUSED;
    }
    insertPages(vma, address, true);
    vma.endRead();
    return Outcome.VMA_LOCKED;
  }

  /** {@code vma_len = min(zc->length, vma->vm_end - address)}; {@code vm_insert_pages()}. */
  private void insertPages(VmArea vma, long address, boolean vmaLocked) {
    SimContext.Snapshot snap = ctx.checkLocked(name(), vma, address, vmaLocked);
    long end = Math.min(address + RECEIVE_PAGES * AddressLayout.PAGE, vma.end());
    for (long a = address; a < end; a += AddressLayout.PAGE) {
      ctx.pages().set(a);
    }
    ctx.cost().underLock(CallerKind.TCP_ZEROCOPY);
    ctx.checkStable(name(), vma, snap);
  }
}
