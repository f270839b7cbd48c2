package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaLockEvent;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.SeriesShape;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * A user-mode page fault: x86 {@code do_user_addr_fault()} with {@code handle_mm_fault()}.
 *
 * <p>The series does not change this path, so it is the same in both {@link SeriesShape}s; what
 * differs between worlds is the mm's {@link io.github.vmalock.mm.LockMode} (without per-VMA locks
 * {@code lock_vma_under_rcu()} always fails and every fault takes {@code mmap_lock}).
 *
 * <ol>
 *   <li>{@code vma = lock_vma_under_rcu(mm, address)}; NULL: go to the fallback (step 5).
 *   <li>Access check fails: {@code vma_end_read()}, count {@code VMA_LOCK_SUCCESS} and deliver
 *       {@code SIGSEGV} (current x86 and arm64 report the error from under the VMA lock).
 *   <li>{@code handle_mm_fault(vma, address, flags | FAULT_FLAG_VMA_LOCK)}: marks the page present,
 *       or, for the seeded fraction {@code retryRate} of faults that need {@code mmap_lock} (a
 *       swap-in, {@code __vmf_anon_prepare}), drops the VMA lock itself and returns {@code
 *       VM_FAULT_RETRY}.
 *   <li>Neither {@code RETRY} nor {@code COMPLETED}: the caller calls {@code vma_end_read()}. No
 *       {@code RETRY}: count {@code VMA_LOCK_SUCCESS}, done. {@code RETRY}: count {@code
 *       VMA_LOCK_RETRY}, fall back.
 *   <li>Fallback: {@code lock_mm_and_find_vma()} (mmap read lock); NULL: {@code
 *       bad_area_nosemaphore}, {@code SIGSEGV}; access error: unlock, {@code SIGSEGV}; else {@code
 *       handle_mm_fault()} without the flag (under {@code mmap_lock} the fault completes) and
 *       {@code mmap_read_unlock()}.
 * </ol>
 *
 * <p>As in the kernel, the fault handler counts {@code SUCCESS} and {@code RETRY} through {@link
 * MmStruct#countVmaLockEvent}; {@code lock_vma_under_rcu()} counts aborts and misses itself.
 */
public final class PageFault implements KernelCaller {
  /** {@code VM_FAULT_RETRY}. */
  static final int VM_FAULT_RETRY = 0x000400;

  /** {@code VM_FAULT_COMPLETED}. */
  static final int VM_FAULT_COMPLETED = 0x004000;

  private final SimContext ctx;
  private final MmStruct mm;
  private final double retryRate;
  private final LongAdder retries = new LongAdder();

  /**
   * Creates the fault path.
   *
   * @param ctx the run's shared context
   * @param retryRate fraction in [0, 1] of faults that need {@code mmap_lock} ({@code
   *     VM_FAULT_RETRY} from under the VMA lock)
   * @throws IllegalArgumentException if {@code retryRate} is outside [0, 1]
   */
  public PageFault(SimContext ctx, double retryRate) {
    if (!(retryRate >= 0 && retryRate <= 1)) {
      throw new IllegalArgumentException("retry rate must be within [0, 1], was " + retryRate);
    }
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.retryRate = retryRate;
  }

  @Override
  public String name() {
    return CallerKind.PAGE_FAULT.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    // One draw gives the slot, the page and the offset: a fault is tens of nanoseconds, three
    // bounded draws and a division would be a good part of it. The page is one of the slot's own:
    // a program faults on memory it mapped, and a fault on a hole (SIGSEGV) comes only from a
    // writer having unmapped it.
    long r = rnd.nextLong();
    AddressLayout layout = ctx.layout();
    long addr = layout.drawMappedAddress(r);
    // Programs write to their anonymous memory, and only read their text and socket mappings.
    boolean write =
        AddressLayout.kind(layout.drawSlot(r)) == AddressLayout.Kind.ANON
            && AddressLayout.drawBit(r);
    boolean needsMmapLock = retryRate > 0 && rnd.nextDouble() < retryRate;
    return fault(addr, write, needsMmapLock);
  }

  @Override
  public long retries() {
    return retries.sum();
  }

  /**
   * One user-mode fault at {@code addr}: {@code do_user_addr_fault()}. Context: holds no lock of
   * the mm on entry and on return; may block in the {@code mmap_lock} fallback.
   *
   * @param addr faulting address
   * @param write a write fault ({@code FAULT_FLAG_WRITE})
   * @param needsMmapLock this fault's handler needs {@code mmap_lock} (returns {@code
   *     VM_FAULT_RETRY} when called under the VMA lock)
   * @return {@link Outcome#VMA_LOCKED} handled under the VMA lock, {@link Outcome#MMAP_LOCKED}
   *     handled in the fallback, {@link Outcome#NO_VMA} or {@link Outcome#REFUSED} for {@code
   *     SIGSEGV} (no VMA, access error)
   */
  public Outcome fault(long addr, boolean write, boolean needsMmapLock) {
    String who = name();
    VmArea vma = mm.lockVmaUnderRcu(addr);
    if (vma != null) {
      SimContext.Snapshot snap = ctx.checkLocked(who, vma, addr, true);
      if (accessError(vma, write)) {
        ctx.checkStable(who, vma, snap);
        vma.endRead(); // bad_area_access_error(..., vma) unlocks the VMA
        mm.countVmaLockEvent(VmaLockEvent.SUCCESS);
        return Outcome.REFUSED;
      }
      int fault = handleMmFault(vma, addr, true, needsMmapLock, snap);
      if ((fault & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)) == 0) {
        vma.endRead();
      }
      if ((fault & VM_FAULT_RETRY) == 0) {
        mm.countVmaLockEvent(VmaLockEvent.SUCCESS);
        return Outcome.VMA_LOCKED;
      }
      mm.countVmaLockEvent(VmaLockEvent.RETRY);
      retries.increment();
    }
    // lock_mmap: the fallback under mmap_lock.
    vma = mm.lockMmAndFindVma(addr);
    if (vma == null) {
      return Outcome.NO_VMA; // bad_area_nosemaphore: lock_mm_and_find_vma dropped the lock
    }
    SimContext.Snapshot snap = ctx.checkLocked(who, vma, addr, false);
    if (accessError(vma, write)) {
      ctx.checkStable(who, vma, snap);
      mm.mmapReadUnlock(); // bad_area_access_error(..., NULL) -> __bad_area -> mmap_read_unlock
      return Outcome.REFUSED;
    }
    handleMmFault(vma, addr, false, false, snap);
    mm.mmapReadUnlock();
    return Outcome.MMAP_LOCKED;
  }

  /**
   * {@code access_error()}: a write needs {@code VM_WRITE}; any access needs the VMA to be
   * accessible ({@code VM_READ|VM_WRITE|VM_EXEC}).
   */
  static boolean accessError(VmArea vma, boolean write) {
    long f = vma.flags();
    if (write) {
      return (f & VmFlags.VM_WRITE) == 0;
    }
    return (f & (VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC)) == 0;
  }

  /**
   * {@code handle_mm_fault()}: under the VMA lock ({@code FAULT_FLAG_VMA_LOCK}) a fault that needs
   * {@code mmap_lock} drops the VMA lock and returns {@code VM_FAULT_RETRY}; otherwise it marks the
   * page present.
   */
  private int handleMmFault(
      VmArea vma, long addr, boolean vmaLock, boolean needsMmapLock, SimContext.Snapshot snap) {
    if (vmaLock && needsMmapLock) {
      ctx.checkStable(name(), vma, snap);
      vma.endRead(); // the callee releases the VMA lock with VM_FAULT_RETRY
      return VM_FAULT_RETRY;
    }
    ctx.pages().set(addr & -AddressLayout.PAGE);
    ctx.cost().underLock(CallerKind.PAGE_FAULT); // clear_page() and the PTE install
    ctx.checkStable(name(), vma, snap);
    return 0;
  }
}
