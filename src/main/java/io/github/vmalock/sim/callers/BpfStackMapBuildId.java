package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.SeriesShape;
import io.github.vmalock.sim.world.World;
import java.util.SplittableRandom;

/**
 * BPF's build-ID stack map, {@code stack_map_get_build_id_offset_sleepable()} with {@code
 * stack_map_lock_vma()} / {@code stack_map_unlock_vma()} (kernel/bpf/stackmap.c): for each user
 * instruction pointer of a stack trace, lock the VMA covering it, read {@code vm_start}/{@code
 * vm_pgoff} to turn the address into a file offset, unlock.
 *
 * <p>{@code stack_map_lock_vma()}: {@code lock_vma_under_rcu()}; else {@code mmap_read_trylock()}
 * (never {@code mmap_read_lock()}: the BPF program may run with {@code mmap_lock} held, so blocking
 * could self-deadlock), {@code vma_lookup()}, and under {@code #ifdef CONFIG_PER_VMA_LOCK} convert
 * to a VMA read lock with {@code vma_start_read_locked()} and drop {@code mmap_lock}. {@code
 * stack_map_unlock_vma()}: under the same {@code #ifdef} {@code vma_end_read()}, else {@code
 * mmap_read_unlock()}.
 *
 * <p>Whether that {@code #ifdef} is compiled in is the whole story: before the series it follows
 * the mm's {@link LockMode}; after the series, the correct code drops the {@code #ifdef}s (always
 * convert, always {@code vma_end_read()}), while v2 of the series ({@link #seedV2(SimContext)})
 * left them keyed on a symbol patch 1 deleted, so they are always false: when {@code
 * lock_vma_under_rcu()} succeeds the unlock calls {@code mmap_read_unlock()} on a lock never taken
 * (the model refuses it with {@link IllegalStateException}) and never calls {@code vma_end_read()}
 * (the VMA read reference leaks, and the next {@code vma_start_write()} on that VMA waits forever).
 */
public final class BpfStackMapBuildId implements KernelCaller {
  /** User frames per simulated stack trace. */
  static final int TRACE_DEPTH = 4;

  private final SimContext ctx;
  private final MmStruct mm;
  private final boolean perVmaLockIfdef;
  private final boolean seedV2;

  private BpfStackMapBuildId(SimContext ctx, boolean perVmaLockIfdef, boolean seedV2) {
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.perVmaLockIfdef = perVmaLockIfdef;
    this.seedV2 = seedV2;
  }

  /**
   * The correct stack map for the context's world: before the series the {@code #ifdef
   * CONFIG_PER_VMA_LOCK} follows the lock mode; after it the {@code #ifdef}s are gone (always
   * convert to the VMA lock).
   *
   * @param ctx the run's context
   * @return the caller
   */
  public static BpfStackMapBuildId correct(SimContext ctx) {
    World w = ctx.world();
    boolean ifdef = w.shape() == SeriesShape.AFTER || w.lockMode() == LockMode.PER_VMA;
    return new BpfStackMapBuildId(ctx, ifdef, false);
  }

  /**
   * The shape of v2 of the series: the series applied, but {@code stackmap.c} still keyed on the
   * deleted {@code CONFIG_PER_VMA_LOCK}, so its {@code #ifdef} blocks are compiled out. Needs a
   * world with per-VMA locks.
   *
   * @param ctx the run's context
   * @return the caller
   * @throws IllegalArgumentException if the mm has no per-VMA locks
   */
  public static BpfStackMapBuildId seedV2(SimContext ctx) {
    if (ctx.world().lockMode() != LockMode.PER_VMA) {
      throw new IllegalArgumentException(
          "v2 of the series' stack map needs per-VMA locks, world was " + ctx.world().label());
    }
    return new BpfStackMapBuildId(ctx, false, true);
  }

  @Override
  public String name() {
    return seedV2 ? CallerKind.BPF_STACKMAP_SEED_V2.label() : CallerKind.BPF_STACKMAP.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    Outcome worst = Outcome.VMA_LOCKED;
    for (int i = 0; i < TRACE_DEPTH; i++) {
      long ip = ctx.layout().pickAddress(rnd, null) + 8L * rnd.nextInt(512);
      Outcome o = buildIdOffset(ip);
      if (o.ordinal() > worst.ordinal()) {
        worst = o;
      }
    }
    return worst;
  }

  /** {@code struct stack_map_vma_lock}: what {@code stack_map_unlock_vma()} needs. */
  public static final class VmaLock {
    private VmArea vma;

    /** Creates an empty lock record. */
    public VmaLock() {}

    /**
     * The locked VMA, or null.
     *
     * @return {@code lock->vma}
     */
    public VmArea vma() {
      return vma;
    }
  }

  /**
   * {@code stack_map_lock_vma()}: a stable reference on the VMA covering {@code ip}. Context: holds
   * no lock of the mm on entry; never blocks. On return: if the {@code #ifdef} is compiled in, the
   * VMA read lock and not {@code mmap_lock}; if not, after {@code lock_vma_under_rcu()} the VMA
   * read lock, after the fallback {@code mmap_lock} (read).
   *
   * @param lock filled with the VMA for the unlock
   * @param ip user instruction pointer
   * @return the VMA, or null holding nothing (no VMA, or the trylock failed)
   */
  public VmArea stackMapLockVma(VmaLock lock, long ip) {
    VmArea vma = mm.lockVmaUnderRcu(ip); // noop under !CONFIG_PER_VMA_LOCK
    if (vma != null) {
      lock.vma = vma;
      return vma;
    }
    // Taking mmap_read_lock() is unsafe here: the BPF program might already hold it.
    if (!mm.mmapReadTrylock()) {
      return null;
    }
    vma = mm.vmaLookup(ip);
    if (vma == null) {
      mm.mmapReadUnlock();
      return null;
    }
    if (perVmaLockIfdef) {
      if (!vma.startReadLocked()) {
        mm.mmapReadUnlock();
        return null;
      }
      mm.mmapReadUnlock();
    }
    lock.vma = vma;
    return vma;
  }

  /**
   * {@code stack_map_unlock_vma()}: {@code vma_end_read()} under the {@code #ifdef}, else {@code
   * mmap_read_unlock()}. In v2 of the series, after a successful {@code lock_vma_under_rcu()} this
   * unlocks an {@code mmap_lock} never taken: the model throws {@link IllegalStateException}, and
   * the VMA read reference stays leaked.
   *
   * @param lock the record filled by {@link #stackMapLockVma}
   */
  public void stackMapUnlockVma(VmaLock lock) {
    VmArea vma = lock.vma;
    lock.vma = null;
    if (perVmaLockIfdef) {
      vma.endRead();
    } else {
      mm.mmapReadUnlock();
    }
  }

  /**
   * One frame: lock, read {@code vm_start}/{@code vm_pgoff}, unlock. Context: holds no lock of the
   * mm on entry or return (except the v2 shape's leak); never blocks.
   *
   * @param ip user instruction pointer
   * @return {@link Outcome#VMA_LOCKED} or {@link Outcome#MMAP_LOCKED} (offset computed under that
   *     lock), {@link Outcome#NO_VMA} (no VMA or trylock failed: the frame keeps its raw IP)
   */
  public Outcome buildIdOffset(long ip) {
    VmaLock lock = new VmaLock();
    VmArea vma = stackMapLockVma(lock, ip);
    if (vma == null) {
      return Outcome.NO_VMA; // stack_map_build_id_set_ip()
    }
    boolean heldByVmaLock = mm.mmapLock().getReadHoldCount() == 0;
    SimContext.Snapshot snap = ctx.checkLocked(name(), vma, ip, heldByVmaLock);
    ctx.cost()
        .underLock(
            seedV2
                ? CallerKind.BPF_STACKMAP_SEED_V2
                : CallerKind.BPF_STACKMAP); // build_id_parse() reads the build id from the file
    long offset = (vma.pgoff() << 12) + ip - vma.start(); // stack_map_build_id_offset()
    if (offset < 0) {
      ctx.violations().violation(name(), "negative build-id offset for " + SimContext.hex(ip));
    }
    ctx.checkStable(name(), vma, snap);
    stackMapUnlockVma(lock);
    return heldByVmaLock ? Outcome.VMA_LOCKED : Outcome.MMAP_LOCKED;
  }
}
