package io.github.vmalock.mm;

import io.github.vmalock.locking.LockTracker;
import io.github.vmalock.locking.RcuWait;
import io.github.vmalock.locking.SeqCount;
import io.github.vmalock.maple.MapleTree;
import io.github.vmalock.rcu.Rcu;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An address space, the kernel's {@code struct mm_struct}: the VMAs in a {@link MapleTree}, the
 * {@code mmap_lock} with its {@code mm_lock_seq}, the per-VMA read locks and their lock-free lookup
 * {@link #lockVmaUnderRcu(long)}, the series' {@link #vmaStartReadUnlocked(long)}, and the
 * address-space operations {@link #mmap(long, long, long)}, {@link #munmap(long, long)} and {@link
 * #mprotect(long, long, long)} with VMA split and merge.
 *
 * <p>The source is split as the kernel's: this class holds what {@code mm_struct}, {@code
 * include/linux/mmap_lock.h} and {@code mm/mmap_lock.c} hold (the state, the mmap lock and {@code
 * mm_lock_seq}, the per-VMA read-lock paths, {@code lock_mm_and_find_vma}), plus statistics; the
 * rwsem under the mmap lock ({@code kernel/locking/rwsem.c}) is {@code MmapRwsem}, the per-VMA read
 * paths ({@code lock_vma_under_rcu}, {@code vma_start_read_unlocked}, {@code lock_next_vma}, {@code
 * lock_mm_and_find_vma}) are {@code VmaReadPaths}, the fault path of {@link #handleMmFault(long,
 * boolean)} is {@code FaultOps}, and debug mode (lockdep's and {@code might_sleep()}'s twins) is
 * {@code MmDebug}; this class keeps the state and the contracts. The address-space operations are
 * implemented in two package-private classes its public methods delegate to: {@code MmapOps}
 * ({@code mm/mmap.c}, {@code mm/mprotect.c}: argument checks, locking, address choice, {@code
 * find_vma}, {@code expand_downwards}, {@code do_mprotect_pkey}) and {@code VmaOps} ({@code
 * mm/vma.c}: split, merge, {@code mmap_region}, {@code do_vmi_munmap}, {@code vma_modify_flags},
 * {@code map_count} accounting).
 *
 * <p>A page fault's lookup, the fast path with its fallback:
 *
 * <pre>{@code
 * MmStruct mm = new MmStruct();
 * mm.mmap(0x7f00_0000_0000L, 16 * 4096, VmFlags.VM_READ | VmFlags.VM_WRITE);
 * VmArea vma = mm.lockVmaUnderRcu(addr);       // no mmap lock, never blocks
 * if (vma != null) {
 *   try { use(vma); } finally { vma.endRead(); }
 * } else {
 *   mm.mmapReadLock();                         // contended or missing: the mmap lock
 *   try { use(mm.vmaLookup(addr)); } finally { mm.mmapReadUnlock(); }
 * }
 * }</pre>
 *
 * <p>Thread-safe: every public method may be called from any thread, with the locking each one
 * states. The algorithm and memory-ordering notes are block comments in the source of this class,
 * of {@code MmapRwsem} (the rwsem's trylock rule and writer handoff), {@code MmDebug}, {@code
 * VmaOps} and {@code MmapOps}.
 */
public final class MmStruct implements AutoCloseable {
  /** Default {@link #taskSize()}: {@code 1L << 47}, x86-64's 4-level user address space. */
  public static final long DEFAULT_TASK_SIZE = 1L << 47;

  /** Default map-count limit, the kernel's {@code DEFAULT_MAX_MAP_COUNT} (65,530). */
  public static final int DEFAULT_MAX_MAP_COUNT = 65_530;

  /** The page size, 4 KiB; addresses and lengths must be multiples of it. */
  public static final long PAGE_SIZE = 1L << VmArea.PAGE_SHIFT;

  /** Lowest address top-down placement uses ({@code mmap_min_addr}'s usual 65,536). */
  public static final long MMAP_MIN_ADDR = 0x10000L;

  /** The stack guard gap below a {@code VM_GROWSDOWN} VMA ({@code stack_guard_gap}, 256 pages). */
  public static final long STACK_GUARD_GAP = 256L << VmArea.PAGE_SHIFT;

  /**
   * The rwsem's handoff timeout, {@code RWSEM_WAIT_TIMEOUT = DIV_ROUND_UP(HZ, 250)} jiffies: 4 ms
   * at {@code HZ} 250 or 1000 ({@code kernel/locking/rwsem.c}); the default of {@link
   * Builder#rwsemWaitTimeout(Duration)}.
   */
  public static final Duration RWSEM_WAIT_TIMEOUT = Duration.ofMillis(4);

  static final String LOCK_MMAP_READ = "mmap_lock(read)";
  static final String LOCK_MMAP_WRITE = "mmap_lock(write)";
  static final String LOCK_VMA_READ = "vm_lock(read)";

  /** Sentinel for {@code ERR_PTR(-EAGAIN)}: the VMA was detached under the reader. */
  static final VmArea EAGAIN = new VmArea();

  private static final AtomicInteger IDS = new AtomicInteger();

  /** The rwsem: the Java lock with the kernel's trylock rule and writer handoff. */
  final MmapRwsem rwsem;

  /** {@code rwsem.lock}, the lock itself, read directly by the package's lock assertions. */
  final ReentrantReadWriteLock mmapLock;

  final long rwsemWaitTimeoutNanos;
  final WriterWork writerWork;
  final SeqCount mmLockSeq = new SeqCount();
  final RcuWait vmaWriterWait = new RcuWait();
  final MapleTree<VmArea> mmMt;
  final Rcu rcu;
  final VmAreaCache cache;
  final LockMode lockMode;
  final VmaLockProtocol protocol;

  /** Whether {@link #protocol} is {@link VmaLockProtocol#faithful()}: the inline steps run. */
  final boolean faithful;

  /** {@link VmaLockProtocol#strictRefcountChecks()}, read once at construction. */
  final boolean strictRefcount;

  /** The reader limit of {@code vma_start_read} in this mm ({@link Builder#refcntLimit(int)}). */
  final int refcntLimit;

  /** The primitives handed to a non-faithful {@link #protocol}. */
  final VmaLockSteps steps;

  /*
   * Implementation notes.
   *
   * State. mmapLock is the lock of MmapRwsem, a non-fair ReentrantReadWriteLock with the rwsem's
   * trylock rule and writer handoff in front of it (see that class). mm_lock_seq is a SeqCount:
   * odd exactly while a thread holds the write lock, each write period with a fresh odd value,
   * wrapping as the kernel's unsigned int; in LockMode.MMAP_LOCK_ONLY it never moves (the
   * kernel's stubs without CONFIG_PER_VMA_LOCK). The tree mm_mt is a MapleTree whose external writer
   * lock is the mmap write lock (it asserts the calling thread holds it); readers walk it
   * lock-free inside an Rcu read section. vma_writer_wait is an RcuWait: only the
   * mmap-write-lock holder ever waits for VMA readers, so one slot suffices. VMAs come from a
   * VmAreaCache that reuses freed objects at once, possibly for another mm.
   *
   * lock_vma_under_rcu, step for step (mm/mmap_lock.c):
   *   1. Enter an RCU read section; walk the tree to the entry covering addr. None: leave the
   *      section, count VMA_LOCK_ABORT, return null.
   *   2. vma_start_read (on any failure it leaves the RCU section itself):
   *      a. early check: vm_lock_seq == mm_lock_seq (opaque reads, result not relied on) means
   *         write-locked: fail;
   *      b. limited acquire increment of vm_refcnt: refused with old value 0, the VMA was
   *         detached under us: "again" (-EAGAIN); refused otherwise (flag set, limit): fail;
   *      c. vm_mm != this: the object was freed and reused by another mm; drop the reference
   *         (waking that mm's writer if we were its last reader) and fail;
   *      d. acquire re-check vm_lock_seq == mm_lock_seq: a writer locked it after the early
   *         check: drop the reference, fail.
   *   3. "Again": count VMA_LOCK_MISS and restart the walk (step 1). Fail: count VMA_LOCK_ABORT,
   *      return null.
   *   4. Leave the RCU section. The VMA is now stable: no writer can change it while we hold the
   *      reference.
   *   5. Range re-check: the object may have been recycled for another range of this mm, or a
   *      split may be half visible; if addr is outside [vm_start, vm_end), drop the reference,
   *      count an abort, return null.
   *
   * Memory-ordering pairings:
   *   - vma_end_write_all (mmapWriteUnlock, mmapWriteDowngrade) is a release store of the next
   *     even mm_lock_seq; step 2d is an acquire load of it. A reader that sees the even value sees
   *     every change the writer made to the VMA, the tree and the VMA's fields in that period
   *     (I10).
   *   - Step 2b's acquire compare-and-exchange pairs with vma_mark_attached's release store of 1:
   *     a reader admitted on a freshly attached (possibly recycled) object sees its new vm_mm and
   *     range, so steps 2c and 5 judge the object as it is now.
   *   - Step 2b also reads-modifies-writes the value the writer's flag removal left (a volatile
   *     subtraction, ordered after its vm_lock_seq store), so step 2d sees that store: a reader
   *     admitted after vma_start_write returned cannot miss the write lock.
   *   - VmArea.endRead's volatile decrement pairs with the writer's volatile wait condition
   *     (RcuWait): the last reader's wake-up is never lost.
   *   - The tree publishes new nodes with release stores and the RCU walk reads them with acquire
   *     loads (see MapleTree); a walk may see the tree between two steps of a multi-step update,
   *     which steps 2 and 5 tolerate.
   *
   * vma_start_read_unlocked, corrected slow path: fast path lockVmaUnderRcu; else take the mmap
   * read lock, vma_lookup, null only when no VMA covers addr (drop the lock, return null),
   * vma_start_read_locked on the VMA just looked up (at the reader limit: drop the lock, return
   * null, as the series' "if (!vma_start_read_locked(vma)) return NULL;"), drop the
   * lock, return the VMA read-locked. It never returns holding the mmap lock and never uses a
   * pointer obtained before taking it.
   *
   * Address-space operations take the mmap write lock, vma_start_write every VMA they change or
   * remove before changing it, install new VMAs write-locked (so readers wait for the period to
   * end), publish each change in the tree with one store, and detach removed VMAs (waiting for
   * transient readers) before freeing them to the cache, where they may be reused at once. munmap
   * detaches each VMA while it is still in the tree and then clears the range, as
   * vms_gather_munmap_vmas and vma_iter_clear_gfp do (a reader that finds a detached VMA in the
   * tree is refused by vma_start_read); it downgrades to the read lock after that and frees (and
   * runs its WriterWork) under it. A MAP_FIXED mapping stores the new VMA over the old ones before
   * detaching them, so a reader never sees a gap there. The steps, and what each relies on, are in the notes of VmaOps and
   * MmapOps.
   *
   * Known weak points. The mmap lock is owner-checked: mmap_read_unlock_non_owner is not
   * modelled. Map-count limits are checked against the final count of an operation (the kernel
   * checks before each split, and may pass the limit by one); mprotect plans its count by
   * simulating the merges before changing anything. Stack expansion checks the guard gap and
   * mmap_min_addr, not rlimits. Unaligned lengths are refused where the kernel rounds them up.
   */

  /*
   * Implementation notes: the protocol seam.
   *
   * The replaceable steps (vma_start_read's checks, lock_vma_under_rcu's range re-check,
   * vma_start_read_unlocked's slow path, __vma_start_write's wait, vma_mark_detached's wait) are
   * the methods of VmaLockProtocol. The faithful fast path must not pay for that seam, so the
   * faithful steps are written inline here, in VmArea and in VmaOps, and `faithful` (a final
   * field, fixed at construction as protocol == VmaLockProtocol.faithful()) chooses between the
   * inline code and a call through `protocol`. The JIT sees one predictable branch on a final
   * field of an object the caller already dereferences, and inlines the faithful code; no
   * interface call, no megamorphic site, no extra load of a static on the hot path. Likewise
   * `strictRefcount` (read once from protocol.strictRefcountChecks()) replaces a per-release test
   * of the protocol in VmArea.endRead, and `refcntLimit` (Builder.refcntLimit, fixed for the mm's
   * life) replaces a mutable static reader limit read on every admission.
   *
   * The interface's default methods are a second copy of the faithful steps, built from
   * VmaLockSteps; they run only for an mm given a protocol other than the shared faithful
   * instance (even one that overrides nothing), which is how the tests check that the two copies
   * agree. A change to a faithful step here must be made in VmaLockProtocol's default too.
   */

  final boolean debug;
  final LockTracker tracker;
  private final int maxMapCount;

  /** {@link Builder#accountCommit(boolean)}. */
  final boolean accountCommit;

  final long taskSize;
  private final String name;

  // map_count and the closed flag are written only under the mmap write lock, by VmaOps and
  // MmapOps; volatile so that mapCount() and isClosed() are fresh lock-free snapshots.
  volatile int mapCount;
  volatile boolean closed;

  private final LongAdder statSuccess = new LongAdder();
  final LongAdder statAbort = new LongAdder();
  private final LongAdder statRetry = new LongAdder();
  final LongAdder statMiss = new LongAdder();

  /**
   * An empty address space with every default: {@link Rcu#global()}, the shared {@link
   * VmAreaCache}, {@link LockMode#PER_VMA}, {@link VmaLockProtocol#faithful()}, {@link
   * VmArea#VM_REFCNT_LIMIT}, debug mode from {@code vmalock.debug}, {@link #DEFAULT_MAX_MAP_COUNT},
   * {@link #DEFAULT_TASK_SIZE}.
   */
  public MmStruct() {
    this(builder());
  }

  /**
   * An empty address space on the given RCU domain, otherwise with the defaults of {@link
   * #MmStruct()}.
   *
   * @param rcu the domain for the lock-free tree walks
   * @throws IllegalArgumentException if {@code rcu} is null
   */
  public MmStruct(Rcu rcu) {
    this(builder().rcu(rcu));
  }

  private MmStruct(Builder b) {
    this.rcu = b.rcu != null ? b.rcu : Rcu.global();
    this.cache = b.cache != null ? b.cache : VmAreaCache.shared();
    this.lockMode = b.lockMode;
    this.protocol = b.protocol;
    this.faithful = b.protocol == VmaLockSteps.FAITHFUL;
    this.strictRefcount = b.protocol.strictRefcountChecks();
    this.refcntLimit = b.refcntLimit;
    this.steps = new VmaLockSteps(this);
    this.debug = b.debug != null ? b.debug : Boolean.getBoolean("vmalock.debug");
    this.maxMapCount = b.maxMapCount;
    this.accountCommit = b.accountCommit;
    this.taskSize = b.taskSize;
    this.writerWork = b.writerWork;
    this.rwsemWaitTimeoutNanos = b.rwsemWaitTimeoutNanos;
    this.rwsem = new MmapRwsem(b.rwsemWaitTimeoutNanos);
    this.mmapLock = rwsem.lock;
    this.name = "mm#" + IDS.incrementAndGet();
    this.tracker = debug ? new LockTracker(name) : null;
    this.mmMt = new MapleTree<>(mmapLock::isWriteLockedByCurrentThread);
  }

  /**
   * A builder with the defaults of {@link #MmStruct()}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures an {@link MmStruct}; not thread-safe, use from one thread. */
  public static final class Builder {
    private Rcu rcu;
    private VmAreaCache cache;
    private LockMode lockMode = LockMode.PER_VMA;
    private VmaLockProtocol protocol = VmaLockSteps.FAITHFUL;
    private int refcntLimit = VmArea.VM_REFCNT_LIMIT;
    private Boolean debug;
    private int maxMapCount = DEFAULT_MAX_MAP_COUNT;
    private boolean accountCommit;
    private long taskSize = DEFAULT_TASK_SIZE;
    private WriterWork writerWork = WriterWork.NONE;
    private long rwsemWaitTimeoutNanos = RWSEM_WAIT_TIMEOUT.toNanos();

    private Builder() {}

    /**
     * The page-table work of the address-space operations (default {@link WriterWork#NONE}): see
     * {@link WriterWork} for where each call falls.
     *
     * @param writerWork the hook
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder writerWork(WriterWork writerWork) {
      if (writerWork == null) {
        throw new IllegalArgumentException("writerWork must not be null");
      }
      this.writerWork = writerWork;
      return this;
    }

    /**
     * How long a writer waits for the mmap lock before it sets the handoff (default {@link
     * #RWSEM_WAIT_TIMEOUT}, 4 ms): from then on no new reader or other writer takes the lock before
     * it.
     *
     * @param timeout positive, at most one hour
     * @return this builder
     * @throws IllegalArgumentException if null, not positive, or above one hour
     */
    public Builder rwsemWaitTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("rwsemWaitTimeout must be positive: " + timeout);
      }
      if (timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("rwsemWaitTimeout must be at most 1 hour: " + timeout);
      }
      this.rwsemWaitTimeoutNanos = timeout.toNanos();
      return this;
    }

    /**
     * The RCU domain for lock-free walks (default {@link Rcu#global()}).
     *
     * @param rcu the domain
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder rcu(Rcu rcu) {
      if (rcu == null) {
        throw new IllegalArgumentException("rcu must not be null");
      }
      this.rcu = rcu;
      return this;
    }

    /**
     * The VMA cache (default {@link VmAreaCache#shared()}); mms sharing one recycle each other's
     * VMAs.
     *
     * @param cache the cache
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder cache(VmAreaCache cache) {
      if (cache == null) {
        throw new IllegalArgumentException("cache must not be null");
      }
      this.cache = cache;
      return this;
    }

    /**
     * Per-VMA locks or the mmap lock only (default {@link LockMode#PER_VMA}).
     *
     * @param lockMode the mode
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder lockMode(LockMode lockMode) {
      if (lockMode == null) {
        throw new IllegalArgumentException("lockMode must not be null");
      }
      this.lockMode = lockMode;
      return this;
    }

    /**
     * The per-VMA lock protocol (default: {@link VmaLockProtocol#faithful()}, which runs inline).
     *
     * @param protocol the implementation of the replaceable steps
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder protocol(VmaLockProtocol protocol) {
      if (protocol == null) {
        throw new IllegalArgumentException("protocol must not be null");
      }
      this.protocol = protocol;
      return this;
    }

    /**
     * The reader limit of {@code vma_start_read} ({@code VMA_REF_LIMIT}, default {@link
     * VmArea#VM_REFCNT_LIMIT}): a lower limit lets tests reach the overflow paths without {@code
     * 2^30} readers. Fixed for the mm's life.
     *
     * @param limit between 2 and {@link VmArea#VM_REFCNT_LIMIT}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder refcntLimit(int limit) {
      if (limit < 2 || limit > VmArea.VM_REFCNT_LIMIT) {
        throw new IllegalArgumentException("refcnt limit out of range: " + limit);
      }
      this.refcntLimit = limit;
      return this;
    }

    /**
     * Debug mode: lockdep-like tracking, lock-order reports, {@code might_sleep} checks (default:
     * the system property {@code vmalock.debug}).
     *
     * @param debug true to turn it on
     * @return this builder
     */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /**
     * The map-count limit ({@code sysctl_max_map_count}, default 65,530).
     *
     * @param maxMapCount at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxMapCount(int maxMapCount) {
      if (maxMapCount < 1) {
        throw new IllegalArgumentException("maxMapCount must be at least 1: " + maxMapCount);
      }
      this.maxMapCount = maxMapCount;
      return this;
    }

    /**
     * The end of the user address space ({@code TASK_SIZE}, default {@code 1L << 47}).
     *
     * @param taskSize a positive multiple of {@link #PAGE_SIZE}
     * @return this builder
     * @throws IllegalArgumentException if not positive or not page aligned
     */
    public Builder taskSize(long taskSize) {
      if (taskSize <= 0 || (taskSize & (PAGE_SIZE - 1)) != 0) {
        throw new IllegalArgumentException(
            "taskSize must be a positive multiple of 4096: 0x" + Long.toHexString(taskSize));
      }
      this.taskSize = taskSize;
      return this;
    }

    /**
     * Whether {@code mprotect} keeps {@code VM_ACCOUNT} as {@code mprotect_fixup} does: set when a
     * private VMA without {@code VM_ACCOUNT|VM_WRITE|VM_SHARED|VM_NORESERVE} becomes writable,
     * dropped when write permission is removed from a VMA that has no {@code anon_vma} (one never
     * written, see {@link MmStruct#handleMmFault(long, boolean)}; a written one keeps it). Default
     * false: {@code mprotect} changes the access bits only.
     *
     * @param accountCommit true for the kernel's rule
     * @return this builder
     */
    public Builder accountCommit(boolean accountCommit) {
      this.accountCommit = accountCommit;
      return this;
    }

    /**
     * Builds an empty address space.
     *
     * @return the mm
     */
    public MmStruct build() {
      return new MmStruct(this);
    }
  }

  // ---- configuration
  // ------------------------------------------------------------------------------

  /**
   * The mmap lock itself, exposed for inspection (hold counts) and as the tree's external lock.
   * Locking it directly bypasses {@code mm_lock_seq} and is unsupported: use {@link
   * #mmapReadLock()} and friends.
   *
   * @return the lock
   */
  public ReentrantReadWriteLock mmapLock() {
    return mmapLock;
  }

  /**
   * The RCU domain the lock-free walks use.
   *
   * @return the domain
   */
  public Rcu rcu() {
    return rcu;
  }

  /**
   * The VMA cache.
   *
   * @return the cache VMAs are allocated from and freed to
   */
  public VmAreaCache cache() {
    return cache;
  }

  /**
   * The lock mode.
   *
   * @return per-VMA locks or mmap lock only
   */
  public LockMode lockMode() {
    return lockMode;
  }

  /**
   * The per-VMA lock protocol this mm runs.
   *
   * @return the protocol given to {@link Builder#protocol(VmaLockProtocol)}, or {@link
   *     VmaLockProtocol#faithful()}
   */
  public VmaLockProtocol protocol() {
    return protocol;
  }

  /**
   * Whether debug mode (lock tracking) is on.
   *
   * @return true in debug mode
   */
  public boolean isDebug() {
    return debug;
  }

  /**
   * The map-count limit.
   *
   * @return {@code sysctl_max_map_count}
   */
  public int maxMapCount() {
    return maxMapCount;
  }

  /**
   * The end of the user address space: mappings lie below it.
   *
   * @return {@code TASK_SIZE}
   */
  public long taskSize() {
    return taskSize;
  }

  /**
   * The number of VMAs ({@code map_count}).
   *
   * <p>Context: lock-free snapshot; exact under the mmap lock.
   *
   * @return the VMA count
   */
  public int mapCount() {
    return mapCount;
  }

  String name() {
    return name;
  }

  // ---- the mmap lock
  // --------------------------------------------------------------------------------

  /**
   * {@code mmap_read_lock}: takes the mmap lock for reading.
   *
   * <p>Context: may block (behind a writer, also behind a queued writer). Locking: the calling
   * thread must not hold the mmap lock (the kernel would deadlock against a queued writer); on
   * return it holds it for reading.
   *
   * @throws IllegalStateException if the calling thread already holds the mmap lock, inside {@link
   *     #noSleep(Runnable)}, or, in debug mode, while it holds a VMA read lock of this mm (lock
   *     order: a writer waiting for that VMA would wait for us while we wait for it)
   */
  public void mmapReadLock() {
    checkNotHoldingMmapLock("mmap_read_lock");
    mightSleep("mmap_read_lock");
    if (debug) {
      checkLockOrder("mmap_read_lock");
    }
    rwsem.downRead();
    if (debug) {
      tracker.acquired(this, LOCK_MMAP_READ);
    }
  }

  /**
   * {@code mmap_read_lock_killable}: as {@link #mmapReadLock()}, but an interrupt ends the wait.
   *
   * <p>Context: may block. Locking: as {@link #mmapReadLock()}; nothing held on an interrupt.
   *
   * @throws InterruptedException if interrupted while waiting
   * @throws IllegalStateException as {@link #mmapReadLock()}
   */
  public void mmapReadLockKillable() throws InterruptedException {
    checkNotHoldingMmapLock("mmap_read_lock_killable");
    mightSleep("mmap_read_lock_killable");
    if (debug) {
      checkLockOrder("mmap_read_lock_killable");
    }
    rwsem.downReadKillable();
    if (debug) {
      tracker.acquired(this, LOCK_MMAP_READ);
    }
  }

  /**
   * {@code mmap_read_trylock}: takes the mmap lock for reading if that needs no waiting.
   *
   * <p>As the kernel's {@code __down_read_trylock}, it fails not only while a writer holds the lock
   * but while anyone waits for it ({@code RWSEM_FLAG_WAITERS} is in {@code RWSEM_READ_FAILED_MASK})
   * or a writer's handoff is pending: a trylock never overtakes a queued writer.
   *
   * <p>Context: never blocks. Locking: the calling thread must not hold the mmap lock.
   *
   * @return true holding the lock for reading, false holding nothing
   * @throws IllegalStateException if the calling thread already holds the mmap lock
   */
  public boolean mmapReadTrylock() {
    checkNotHoldingMmapLock("mmap_read_trylock");
    if (!rwsem.readTrylock()) {
      return false;
    }
    if (debug) {
      tracker.acquired(this, LOCK_MMAP_READ);
    }
    return true;
  }

  /**
   * {@code mmap_read_unlock}: releases the calling thread's read hold.
   *
   * <p>Context: never blocks. Locking: the calling thread holds the mmap lock for reading (the
   * model's lock has owners: {@code mmap_read_unlock_non_owner} is not supported).
   *
   * @throws IllegalStateException if the calling thread holds no read hold (the BPF stack-map bug
   *     of v2 of the series: unlocking a lock never taken); nothing changes then
   */
  public void mmapReadUnlock() {
    if (mmapLock.getReadHoldCount() == 0) {
      throw new IllegalStateException(
          "mmap_read_unlock without mmap_read_lock (rwsem underflow) on "
              + name
              + " by "
              + Thread.currentThread().getName());
    }
    if (debug) {
      tracker.released(this, LOCK_MMAP_READ);
    }
    rwsem.upRead();
  }

  /**
   * {@code mmap_write_lock}: takes the mmap lock for writing and opens a write period ({@code
   * mm_lock_seq} becomes odd; unchanged in {@link LockMode#MMAP_LOCK_ONLY}).
   *
   * <p>Context: may block. Locking: the calling thread must not hold the mmap lock; on return it
   * holds it for writing.
   *
   * @throws IllegalStateException if the calling thread already holds the mmap lock, inside {@link
   *     #noSleep(Runnable)}, or, in debug mode, while it holds a VMA read lock of this mm
   */
  public void mmapWriteLock() {
    checkNotHoldingMmapLock("mmap_write_lock");
    mightSleep("mmap_write_lock");
    if (debug) {
      checkLockOrder("mmap_write_lock");
    }
    rwsem.downWrite();
    mmLockSeqcountBegin();
    if (debug) {
      tracker.acquired(this, LOCK_MMAP_WRITE);
    }
  }

  /**
   * {@code mmap_write_lock_killable}: as {@link #mmapWriteLock()}, but an interrupt ends the wait
   * ({@code mm_lock_seq} is only changed on success).
   *
   * <p>Context: may block. Locking: as {@link #mmapWriteLock()}; nothing held on an interrupt.
   *
   * @throws InterruptedException if interrupted while waiting
   * @throws IllegalStateException as {@link #mmapWriteLock()}
   */
  public void mmapWriteLockKillable() throws InterruptedException {
    checkNotHoldingMmapLock("mmap_write_lock_killable");
    mightSleep("mmap_write_lock_killable");
    if (debug) {
      checkLockOrder("mmap_write_lock_killable");
    }
    rwsem.downWriteKillable();
    mmLockSeqcountBegin();
    if (debug) {
      tracker.acquired(this, LOCK_MMAP_WRITE);
    }
  }

  /**
   * {@code mmap_write_unlock}: ends every VMA write lock of the period at once ({@code
   * vma_end_write_all}: release store of the next even {@code mm_lock_seq}), then releases the
   * lock.
   *
   * <p>Context: never blocks. Locking: the calling thread holds the mmap write lock; on return it
   * holds nothing of it.
   *
   * @throws IllegalStateException if the calling thread does not hold the mmap write lock
   */
  public void mmapWriteUnlock() {
    mmapAssertWriteLocked();
    vmaEndWriteAll();
    if (debug) {
      tracker.released(this, LOCK_MMAP_WRITE);
    }
    rwsem.upWrite();
  }

  /**
   * {@code mmap_write_downgrade}: ends every VMA write lock of the period ({@code
   * vma_end_write_all}), then turns the write hold into a read hold without letting a writer in.
   *
   * <p>Context: never blocks. Locking: the calling thread holds the mmap write lock; on return it
   * holds the read lock.
   *
   * @throws IllegalStateException if the calling thread does not hold the mmap write lock
   */
  public void mmapWriteDowngrade() {
    mmapAssertWriteLocked();
    vmaEndWriteAll();
    if (debug) {
      tracker.released(this, LOCK_MMAP_WRITE);
      tracker.acquired(this, LOCK_MMAP_READ);
    }
    rwsem.downgradeWrite();
  }

  /**
   * How many times a writer waited past the handoff timeout and set the handoff ({@code
   * rwsem_wlock_handoff} in the kernel's lock events).
   *
   * <p>Context: never blocks; a striped counter's snapshot.
   *
   * @return the count since the mm was built
   */
  public long rwsemHandoffs() {
    return rwsem.handoffs();
  }

  /**
   * {@code mm_lock_seqcount_begin}: opens the write period (odd {@code mm_lock_seq}). Without
   * per-VMA locks ({@link LockMode#MMAP_LOCK_ONLY}) the kernel's stub in {@code
   * include/linux/mmap_lock.h} is empty: the sequence never moves.
   */
  private void mmLockSeqcountBegin() {
    if (lockMode == LockMode.PER_VMA) {
      mmLockSeq.writeBegin();
    }
  }

  /**
   * {@code vma_end_write_all}: {@code mm_lock_seqcount_end}, a release store of an even value; an
   * empty stub in {@link LockMode#MMAP_LOCK_ONLY}, as without {@code CONFIG_PER_VMA_LOCK}.
   */
  private void vmaEndWriteAll() {
    if (lockMode == LockMode.PER_VMA) {
      mmLockSeq.writeEnd();
    }
  }

  /**
   * {@code mm_lock_seq.sequence}, read with acquire ordering: odd while a thread holds the mmap
   * write lock; wraps as an {@code unsigned int}.
   *
   * <p>Context: lock-free.
   *
   * @return the current sequence
   */
  public int mmLockSeq() {
    return mmLockSeq.readAcquire();
  }

  /**
   * {@code mmap_lock_speculate_try_begin}: starts a lock-free speculative read of the address
   * space.
   *
   * <p>Context: never blocks, takes nothing.
   *
   * @return the (even) sequence as an unsigned value, to pass to {@link
   *     #mmapLockSpeculateRetry(long)}, or {@code -1} if a writer holds the mmap lock (speculation
   *     is pointless: take the lock); always {@code -1} in {@link LockMode#MMAP_LOCK_ONLY}, whose
   *     kernel stub returns false (no speculation without {@code CONFIG_PER_VMA_LOCK})
   */
  public long mmapLockSpeculateTryBegin() {
    if (lockMode == LockMode.MMAP_LOCK_ONLY) {
      return -1;
    }
    return mmLockSeq.tryBegin();
  }

  /**
   * {@code mmap_lock_speculate_retry}: whether a writer took the mmap lock since {@code seq} was
   * read, so that what was read speculatively must be discarded.
   *
   * <p>Context: never blocks.
   *
   * @param seq a value returned by {@link #mmapLockSpeculateTryBegin()} (not {@code -1})
   * @return true if the sequence moved; always true in {@link LockMode#MMAP_LOCK_ONLY} (the
   *     kernel's stub: nothing read speculatively can be trusted there)
   * @throws IllegalArgumentException if {@code seq} is not such a value
   */
  public boolean mmapLockSpeculateRetry(long seq) {
    if (seq < 0 || seq > 0xFFFF_FFFFL || (seq & 1) != 0) {
      throw new IllegalArgumentException("not a value of mmapLockSpeculateTryBegin(): " + seq);
    }
    if (lockMode == LockMode.MMAP_LOCK_ONLY) {
      return true;
    }
    return mmLockSeq.retry(seq);
  }

  /**
   * {@code mmap_assert_locked}: the calling thread holds the mmap lock, read or write.
   *
   * @throws IllegalStateException naming the assertion if not
   */
  public void mmapAssertLocked() {
    if (!mmapLock.isWriteLockedByCurrentThread() && mmapLock.getReadHoldCount() == 0) {
      throw new IllegalStateException(
          "mmap_assert_locked failed: "
              + Thread.currentThread().getName()
              + " does not hold "
              + name
              + "'s mmap_lock");
    }
  }

  /**
   * {@code mmap_assert_write_locked}: the calling thread holds the mmap lock for writing.
   *
   * @throws IllegalStateException naming the assertion if not
   */
  public void mmapAssertWriteLocked() {
    if (!mmapLock.isWriteLockedByCurrentThread()) {
      throw new IllegalStateException(
          "mmap_assert_write_locked failed: "
              + Thread.currentThread().getName()
              + " does not hold "
              + name
              + "'s mmap_lock for writing");
    }
  }

  void checkNotHoldingMmapLock(String what) {
    if (mmapLock.isWriteLockedByCurrentThread() || mmapLock.getReadHoldCount() > 0) {
      throw new IllegalStateException(
          what
              + " while already holding "
              + name
              + "'s mmap_lock (the kernel would deadlock): "
              + Thread.currentThread().getName());
    }
  }

  void checkLockOrder(String what) {
    MmDebug.checkLockOrder(this, what);
  }

  // ---- the per-VMA read lock
  // ------------------------------------------------------------------------

  /**
   * {@code lock_vma_under_rcu}: finds the VMA covering {@code addr} with a lock-free RCU walk and
   * read-locks it, step for step as the kernel (see the class notes).
   *
   * <p>Context: never blocks, never touches the mmap lock; may be called holding anything,
   * including the mmap lock. Counts {@code VMA_LOCK_ABORT} and {@code VMA_LOCK_MISS} itself.
   * Locking: on success the caller holds a read reference and must call {@link VmArea#endRead()}
   * once.
   *
   * @param addr an address (any value; no alignment needed)
   * @return a read-locked VMA of this mm containing {@code addr}; or null, meaning "use the mmap
   *     lock": no VMA there, or it is write-locked, being written, recycled, or at the reader
   *     limit. Always null in {@link LockMode#MMAP_LOCK_ONLY}
   */
  public VmArea lockVmaUnderRcu(long addr) {
    return VmaReadPaths.lockVmaUnderRcu(this, addr);
  }

  /**
   * {@code vma_start_read}: step 2 of the class notes.
   *
   * <p>Locking: inside an RCU read section, which is left on every failure and kept on success.
   * Package-private so that tests can hand it a stale or recycled object directly.
   *
   * @return {@code vma} read-locked, null (could not lock), or {@link #EAGAIN} (detached)
   */
  VmArea vmaStartRead(VmArea vma) {
    return VmaReadPaths.vmaStartRead(this, vma);
  }

  /**
   * {@link #lockVmaUnderRcu(long)} as a try-with-resources guard.
   *
   * <p>Context and locking: as {@link #lockVmaUnderRcu(long)}; closing the guard drops the read
   * reference.
   *
   * @param addr an address
   * @return a guard holding the read-locked VMA, or null where {@link #lockVmaUnderRcu(long)}
   *     returns null
   */
  public VmaReadGuard lockVmaUnderRcuGuarded(long addr) {
    VmArea vma = lockVmaUnderRcu(addr);
    return vma == null ? null : new VmaReadGuard(vma);
  }

  /**
   * {@code vma_start_read_unlocked}: the series' helper, with the corrected slow path. Returns the
   * VMA covering {@code addr} read-locked, waiting for a writer if one holds it; the mmap lock is
   * taken only on the slow path and never held on return.
   *
   * <p>Context: may block (in the slow path's {@code mmap_read_lock}); not for contexts that must
   * not sleep. Locking: the calling thread must not hold the mmap lock (the series forbids it: BPF
   * may run with it held). On a non-null return the caller holds one read reference and must call
   * {@link VmArea#endRead()} once; on null it holds nothing.
   *
   * @param addr an address
   * @return the read-locked VMA; or null, holding nothing, when no VMA covered {@code addr} while
   *     the slow path held the mmap lock, or when that VMA's reader count was at the limit (the
   *     series' {@code if (!vma_start_read_locked(vma)) return NULL;})
   * @throws IllegalStateException if the calling thread holds the mmap lock (checked first, nothing
   *     taken), inside {@link #noSleep(Runnable)}, or in debug mode while holding a VMA read lock
   *     of this mm
   * @throws UnsupportedOperationException in {@link LockMode#MMAP_LOCK_ONLY}: without per-VMA locks
   *     the VMA could not be kept stable once the mmap lock is dropped
   */
  public VmArea vmaStartReadUnlocked(long addr) {
    return VmaReadPaths.vmaStartReadUnlocked(this, addr);
  }

  /**
   * {@link #vmaStartReadUnlocked(long)} as a try-with-resources guard.
   *
   * <p>Context and locking: as {@link #vmaStartReadUnlocked(long)}.
   *
   * @param addr an address
   * @return a guard holding the read-locked VMA, or null when no VMA covers {@code addr}
   */
  public VmaReadGuard vmaStartReadUnlockedGuarded(long addr) {
    VmArea vma = vmaStartReadUnlocked(addr);
    return vma == null ? null : new VmaReadGuard(vma);
  }

  static IllegalStateException refcntOverflow(String what, VmArea vma, int limit) {
    // lock_vma_under_mmap_lock(): vma_start_read_locked() failed, ERR_PTR(-EAGAIN).
    return new MmErrnoException(
        Errno.EAGAIN,
        what
            + ": vm_refcnt at VM_REFCNT_LIMIT (0x"
            + Integer.toHexString(limit)
            + "), reader overflow on "
            + vma);
  }

  /**
   * {@code lock_next_vma}: for ordered scans such as {@code /proc/pid/maps}: the first VMA with
   * {@code end > fromAddr}, read-locked, found lock-free when possible.
   *
   * <p>The lock-free attempt speculates on {@code mm_lock_seq} ({@link
   * #mmapLockSpeculateTryBegin()}): a VMA found above {@code fromAddr} is only trusted if no writer
   * came meanwhile or a second walk finds the same VMA first; otherwise it falls back to the mmap
   * read lock ({@code lock_next_vma_under_mmap_lock}). It never reports a gap that did not exist.
   *
   * <p>A convenience: it opens the RCU read section itself, calls {@link #lockNextVma(Rcu.Reader,
   * long)} (the kernel's contract, whose caller holds the section across calls) and closes the
   * section before it returns. Callers that scan several VMAs in one section, as {@code
   * fs/proc/task_mmu.c} does, use the two-argument form.
   *
   * <p>Context: may block, only in the fallback. Locking: the caller holds nothing of this mm's
   * mmap lock, and no RCU section of this mm's domain on return that it did not hold on entry. On a
   * non-null return the caller holds one read reference.
   *
   * @param fromAddr where the scan stands (the previous VMA's end)
   *     <p>The fallback's {@code mmap_read_lock_killable} is killable: interrupted while waiting,
   *     it throws {@link MmErrnoException} with {@link Errno#EINTR} (the kernel's {@code
   *     ERR_PTR(-EINTR)}), sets the interrupt status again and holds nothing (no mmap lock, no VMA
   *     read lock, no RCU section of its own).
   * @return the next VMA read-locked, or null at the end of the address space
   * @throws MmErrnoException EINTR if interrupted in the fallback's wait for the mmap lock
   * @throws IllegalStateException on reader-count overflow in the fallback (naming {@code
   *     VM_REFCNT_LIMIT}; nothing held), or if the fallback finds the calling thread holding the
   *     mmap lock
   * @throws UnsupportedOperationException in {@link LockMode#MMAP_LOCK_ONLY}
   * @throws IllegalStateException inside {@link #noSleep(Runnable)} (it may block in its fallback)
   */
  public VmArea lockNextVma(long fromAddr) {
    return VmaReadPaths.lockNextVma(this, fromAddr);
  }

  /**
   * {@code lock_next_vma} with the kernel's contract: the caller holds the RCU read lock across
   * calls, as {@code fs/proc/task_mmu.c} does ({@code lock_vma_range} / {@code query_vma_setup}
   * take {@code rcu_read_lock()}, {@code unlock_vma_range} / {@code query_vma_teardown} drop it).
   * Finds the first VMA with {@code end > fromAddr} and read-locks it, lock-free when possible, as
   * {@link #lockNextVma(long)} describes.
   *
   * <p>Locking: on entry the calling thread is inside a read section of this mm's {@link Rcu}
   * through {@code rd} (asserted: {@code RCU_LOCKDEP_WARN(!rcu_read_lock_held())}), and holds
   * nothing of the mmap lock. On every return, and on every exception after the checks, it is
   * inside the section again, as on entry: the mmap-lock fallback ({@code
   * lock_next_vma_under_mmap_lock}) leaves the section before it may sleep and re-enters it after
   * ({@code rcu_read_unlock(); ... rcu_read_lock();}), so a pointer the caller read under the
   * section before the call must not be used after it. On a non-null return the caller also holds
   * one read reference ({@link VmArea#endRead()}).
   *
   * <p>Context: may block, only in the fallback, outside the section; killable there (EINTR).
   *
   * @param rd the calling thread's reader of {@link #rcu()}, locked
   * @param fromAddr where the scan stands (the previous VMA's end)
   * @return the next VMA read-locked, or null at the end of the address space
   * @throws IllegalArgumentException if {@code rd} is null or of another domain (nothing changed)
   * @throws IllegalStateException if {@code rd} is not inside a read section (nothing changed); as
   *     {@link #lockNextVma(long)} otherwise
   * @throws MmErrnoException EAGAIN (reader-count overflow) or EINTR (interrupted), from the
   *     fallback, the section re-entered
   * @throws UnsupportedOperationException in {@link LockMode#MMAP_LOCK_ONLY}
   */
  public VmArea lockNextVma(Rcu.Reader rd, long fromAddr) {
    return VmaReadPaths.lockNextVma(this, rd, fromAddr);
  }

  /**
   * {@code lock_mm_and_find_vma}: the page-fault fallback. Takes the mmap read lock (trylock
   * first), finds the VMA covering {@code addr}; if {@code addr} lies just below a {@code
   * VM_GROWSDOWN} VMA, retakes the lock for writing, expands the stack down to {@code addr}'s page,
   * and downgrades.
   *
   * <p>Killable as the kernel's ({@code get_mmap_lock_carefully}: {@code mmap_read_trylock}, else
   * {@code mmap_read_lock_killable}; {@code upgrade_mmap_lock_carefully}: {@code
   * mmap_write_lock_killable}): the thread's interrupt is the fatal signal. Interrupted while
   * waiting for either lock, it returns null holding nothing, with the interrupt status set again
   * (the kernel's caller sees NULL and checks {@code fatal_signal_pending}). As in the kernel, an
   * uncontended lock is taken even with an interrupt pending.
   *
   * <p>Context: may block (killably). Locking: the calling thread must not hold the mmap lock. On a
   * non-null return it holds the mmap read lock (release with {@link #mmapReadUnlock()}); on null
   * it holds nothing.
   *
   * @param addr the faulting address
   * @return the VMA now covering {@code addr}, with the mmap read lock held; or null (no VMA, the
   *     stack could not grow: guard gap, overlap, below {@link #MMAP_MIN_ADDR}; or interrupted)
   * @throws IllegalStateException if the calling thread holds the mmap lock, or inside {@link
   *     #noSleep(Runnable)}
   */
  public VmArea lockMmAndFindVma(long addr) {
    return VmaReadPaths.lockMmAndFindVma(this, addr);
  }

  // ---- lookups under the mmap lock
  // ----------------------------------------------------------------

  /**
   * A user page fault at {@code addr} ({@code handle_mm_fault} as reached from {@code
   * do_user_addr_fault}), modelling what it does to the address space: a write fault in a private
   * anonymous VMA gives the VMA an {@link AnonVma} if it has none ({@code vmf_anon_prepare}, {@code
   * __anon_vma_prepare}), reusing a compatible neighbour's ({@code find_mergeable_anon_vma}). A
   * read fault changes nothing. No page tables are modelled.
   *
   * <p>Context: may block (the mmap read lock on the fallback path). Locking: the calling thread
   * must hold no mmap lock and no VMA lock; it first tries {@link #lockVmaUnderRcu(long)}, and
   * under that VMA read lock {@link #mmapReadTrylock()} when an anon_vma must be created; if either
   * fails it retries under {@link #mmapReadLock()} ({@code VM_FAULT_RETRY}, then {@link
   * #lockMmAndFindVma(long)}). On return, normal or exceptional, it holds nothing.
   *
   * @param addr the faulting address (no alignment needed)
   * @param write true for a write fault ({@code FAULT_FLAG_WRITE}), false for a read
   * @return the VMA's anon_vma after a write fault; null after a read fault
   * @throws MmErrnoException with {@link Errno#EFAULT} where the kernel sends {@code SIGSEGV}: no
   *     VMA at {@code addr} (a hole that no stack grows into), a write to a VMA without {@link
   *     VmFlags#VM_WRITE}, any access to one without read, write or exec permission, or an address
   *     outside {@code [0, taskSize)}; nothing changes then
   * @throws IllegalStateException if this mm is closed, if the calling thread holds the mmap lock,
   *     or inside {@link #noSleep(Runnable)}
   */
  public AnonVma handleMmFault(long addr, boolean write) {
    return FaultOps.handleMmFault(this, addr, write);
  }

  /**
   * {@code vma_lookup}: the VMA containing {@code addr}.
   *
   * <p>Context: never blocks. Locking: the calling thread holds the mmap lock (read or write);
   * asserted.
   *
   * @param addr an address
   * @return the VMA with {@code start <= addr < end}, or null
   * @throws IllegalStateException if the mmap lock is not held by the calling thread
   */
  public VmArea vmaLookup(long addr) {
    mmapAssertLocked();
    return mmMt.load(addr);
  }

  /**
   * {@code find_vma}: the first VMA with {@code end > addr} (it may start above {@code addr}).
   *
   * <p>Context: never blocks. Locking: the mmap lock is held by the calling thread; asserted.
   *
   * @param addr an address
   * @return that VMA, or null if none ends above {@code addr}
   * @throws IllegalStateException if the mmap lock is not held by the calling thread
   */
  public VmArea findVma(long addr) {
    mmapAssertLocked();
    return MmapOps.findVma(this, addr);
  }

  /**
   * {@code find_vma_prev}'s predecessor: the last VMA that ends at or before {@code addr} and
   * before {@link #findVma(long)}'s result (the last VMA of all when {@code findVma} finds none).
   *
   * <p>Context: never blocks. Locking: the mmap lock is held by the calling thread; asserted.
   *
   * @param addr an address
   * @return the VMA before {@code findVma(addr)}'s, or null
   * @throws IllegalStateException if the mmap lock is not held by the calling thread
   */
  public VmArea findVmaPrev(long addr) {
    mmapAssertLocked();
    return MmapOps.findVmaPrev(this, addr);
  }

  /**
   * {@code find_vma_intersection}: the first VMA overlapping {@code [start, end)}.
   *
   * <p>Context: never blocks. Locking: the mmap lock is held by the calling thread; asserted.
   *
   * @param start the first address
   * @param end the first address past the range
   * @return the lowest VMA with {@code vmaStart < end && vmaEnd > start}, or null
   * @throws IllegalStateException if the mmap lock is not held by the calling thread
   */
  public VmArea findVmaIntersection(long start, long end) {
    mmapAssertLocked();
    VmArea vma = MmapOps.findVma(this, start);
    return vma != null && vma.vmStart < end ? vma : null;
  }

  // ---- address-space operations
  // ----------------------------------------------------------------------

  /**
   * {@code mmap(addr, length, ..., MAP_FIXED)}: maps {@code [addr, addr + length)} with {@code
   * vmFlags}, first unmapping whatever overlaps it; merges with compatible neighbours as {@code
   * vma_merge} does (equal flags, contiguous {@code pgoff}, none of {@link VmFlags#VM_SPECIAL}).
   * The mapping is anonymous: {@code pgoff = addr >>> 12}.
   *
   * <p>Context: may block (takes the mmap write lock, waits for readers of the VMAs it changes).
   * Locking: the calling thread must not hold the mmap lock; it holds nothing on return. The
   * returned VMA is a hint once the call has returned: read its fields under a lock or a read
   * reference.
   *
   * @param addr page-aligned start
   * @param length page-aligned positive length (the model refuses unaligned lengths, which the
   *     kernel rounds up)
   * @param vmFlags {@link VmFlags} bits
   * @return the VMA now covering {@code addr}
   * @throws IllegalArgumentException for an unaligned or non-positive argument, a range past {@link
   *     #taskSize()} or wrapping, a start below {@link #MMAP_MIN_ADDR} (the kernel's {@code
   *     mmap_min_addr} check, EPERM there), or undefined flag bits
   * @throws IllegalStateException with "ENOMEM" if the map count would exceed {@link
   *     #maxMapCount()} (nothing changed); if closed; if the calling thread holds the mmap lock
   */
  public VmArea mmap(long addr, long length, long vmFlags) {
    return MmapOps.mmapFixed(this, addr, length, vmFlags);
  }

  /**
   * {@code mmap(NULL, length, ...)}: maps {@code length} bytes at an address chosen top-down below
   * {@link #taskSize()} (and not below {@link #MMAP_MIN_ADDR}) through the tree's gap search, as
   * {@code get_unmapped_area} does, keeping {@link #STACK_GUARD_GAP} below a {@code VM_GROWSDOWN}
   * VMA; merges like {@link #mmap(long, long, long)}.
   *
   * <p>Context and locking: as {@link #mmap(long, long, long)}.
   *
   * @param length page-aligned positive length
   * @param vmFlags {@link VmFlags} bits
   * @return the VMA now covering the chosen address (its start, or a merged VMA containing it)
   * @throws IllegalArgumentException for a bad length or undefined flag bits
   * @throws IllegalStateException with "ENOMEM" if no gap is large enough or the map count would
   *     exceed {@link #maxMapCount()}; if closed; if the calling thread holds the mmap lock
   */
  public VmArea mmap(long length, long vmFlags) {
    return MmapOps.mmapTopdown(this, length, vmFlags);
  }

  /**
   * The {@code mmap} system call for private anonymous memory ({@code do_mmap}): {@link
   * Mman#MAP_FIXED} maps exactly at {@code addr}, replacing what is there; {@link
   * Mman#MAP_FIXED_NOREPLACE} fails with EEXIST if any mapping overlaps; otherwise a non-zero
   * {@code addr} is a hint (rounded down to a page, raised to {@link #MMAP_MIN_ADDR}), used when
   * the range is free as {@code arch_get_unmapped_area_topdown} checks it, and else the range is
   * found top-down in {@code [MMAP_MIN_ADDR, taskSize())} (the model's search window: the kernel's
   * starts at {@code mmap_base}, below the stack). The length is rounded up to a page. A private
   * writable mapping gets {@code VM_ACCOUNT} unless {@link Mman#MAP_NORESERVE} (which sets {@code
   * VM_NORESERVE}); {@link Mman#MAP_GROWSDOWN} sets {@code VM_GROWSDOWN}.
   *
   * <p>Context and locking: as {@link #mmap(long, long, long)}.
   *
   * @param addr the address (fixed) or hint, 0 for none
   * @param len the length in bytes, rounded up to a page
   * @param prot {@link Mman} {@code PROT_*} bits
   * @param flags {@code MAP_PRIVATE | MAP_ANONYMOUS}, optionally with {@code MAP_FIXED}, {@code
   *     MAP_FIXED_NOREPLACE}, {@code MAP_GROWSDOWN}, {@code MAP_NORESERVE}
   * @return the start of the new mapping
   * @throws MmErrnoArgumentException EINVAL for a zero length, an unaligned fixed address, unknown
   *     prot bits or unsupported flags; ENOMEM for a length or fixed range past {@link
   *     #taskSize()}; EPERM for a fixed address below {@link #MMAP_MIN_ADDR}
   * @throws MmErrnoException EEXIST for {@code MAP_FIXED_NOREPLACE} over a mapping; ENOMEM if no
   *     range is free or the map count would exceed {@link #maxMapCount()}
   * @throws IllegalStateException if closed, or the calling thread holds the mmap lock
   */
  public long mmap(long addr, long len, int prot, int flags) {
    return MmapOps.mmapSyscall(this, addr, len, prot, flags);
  }

  /**
   * The VMA list as values, in address order, read under the mmap read lock (or under the mmap lock
   * the calling thread already holds).
   *
   * <p>Context: may block.
   *
   * @return an immutable list, empty for an empty mm
   */
  public java.util.List<VmaSnapshot> vmas() {
    return MmapOps.snapshot(this);
  }

  /**
   * {@code munmap}: removes every mapping in {@code [addr, addr + length)}, splitting VMAs that lie
   * partly inside; unmapping a hole is a no-op (it still takes the mmap write lock).
   *
   * <p>Context: may block. Locking: as {@link #mmap(long, long, long)}.
   *
   * @param addr page-aligned start
   * @param length page-aligned positive length
   * @throws IllegalArgumentException for bad arguments (as {@link #mmap(long, long, long)})
   * @throws IllegalStateException with "ENOMEM" if a split would exceed {@link #maxMapCount()}
   *     (nothing changed); if closed; if the calling thread holds the mmap lock
   */
  public void munmap(long addr, long length) {
    MmapOps.munmap(this, addr, length);
  }

  /**
   * {@code mprotect}: sets the {@code VM_READ|VM_WRITE|VM_EXEC} bits of every VMA in {@code [addr,
   * addr + length)} to {@code vmFlags}, splitting VMAs at the range's ends and merging with
   * compatible neighbours as {@code mprotect_fixup}/{@code vma_modify_flags} do; a VMA whose flags
   * do not change is left alone. The whole range must be mapped: that is checked first.
   *
   * <p>Context: may block. Locking: as {@link #mmap(long, long, long)}.
   *
   * @param addr page-aligned start
   * @param length page-aligned positive length
   * @param vmFlags the new protection: a subset of {@link VmFlags#VM_ACCESS_FLAGS}
   * @throws IllegalArgumentException for bad arguments, or bits outside {@code VM_READ|VM_WRITE|
   *     VM_EXEC}
   * @throws IllegalStateException with "ENOMEM" if part of the range is unmapped, or if the map
   *     count would exceed {@link #maxMapCount()} (nothing changed in either case); if closed; if
   *     the calling thread holds the mmap lock
   */
  public void mprotect(long addr, long length, long vmFlags) {
    MmapOps.mprotect(this, addr, length, vmFlags);
  }

  /** {@code MREMAP_MAYMOVE}: {@link #mremap} may move the mapping to grow it. */
  public static final int MREMAP_MAYMOVE = MremapOps.MREMAP_MAYMOVE;

  /** {@code MREMAP_FIXED}: {@link #mremap} moves the mapping to {@code newAddr} (needs MAYMOVE). */
  public static final int MREMAP_FIXED = MremapOps.MREMAP_FIXED;

  /**
   * {@code mremap(addr, oldLen, newLen, flags, newAddr)} of a private anonymous mapping, as {@code
   * do_mremap()} does: shrinks in place (unmapping the tail), grows in place when the pages after
   * the VMA are free, or moves the VMA ({@link #MREMAP_MAYMOVE} to a free range found top-down,
   * {@link #MREMAP_FIXED} to {@code newAddr}, unmapping what was there). A move write-locks the
   * source VMA first ({@code vma_start_write}: it waits for the VMA's readers) and creates the
   * destination write-locked, so no reader holds the VMA at both places; the destination keeps the
   * source's flags and {@link AnonVma}, and its page offset if it was written (one never written
   * takes its new address's, as {@code copy_vma} does). {@link #MREMAP_FIXED} with {@code oldLen ==
   * newLen} moves every VMA of the range, gaps kept ({@code remap_move}, Linux 6.17+). See {@code
   * MremapOps} for the cases and what is left out.
   *
   * <p>Context: may block. Locking: as {@link #mmap(long, long, long)}; the mmap write lock is held
   * for the whole call.
   *
   * @param addr page-aligned start of the mapping to change
   * @param oldLen its page-aligned positive length
   * @param newLen the page-aligned positive new length
   * @param flags 0, {@link #MREMAP_MAYMOVE}, or {@code MREMAP_MAYMOVE | MREMAP_FIXED}
   * @param newAddr the destination with {@link #MREMAP_FIXED}; ignored otherwise
   * @return the mapping's address after the call
   * @throws IllegalArgumentException naming EINVAL for bad flags, unaligned or non-positive
   *     arguments, or a destination overlapping the source; EPERM for a destination below {@link
   *     #MMAP_MIN_ADDR} (nothing changed)
   * @throws MmErrnoException EFAULT when no VMA covers {@code addr} or the range to move (with a
   *     resize) or grow runs past it; ENOMEM when it cannot grow in place without {@link
   *     #MREMAP_MAYMOVE}, when no free range is large enough, or near the map-count limit (nothing
   *     changed); {@link IllegalStateException} if closed or the calling thread holds the mmap lock
   */
  public long mremap(long addr, long oldLen, long newLen, int flags, long newAddr) {
    return MremapOps.mremap(this, addr, oldLen, newLen, flags, newAddr);
  }

  /**
   * {@code fork()}'s {@code dup_mmap()}: a new mm holding a copy of every VMA of this one (same
   * ranges, flags and page offsets), with this mm's configuration, VMA cache and RCU domain. Under
   * this mm's mmap write lock it write-locks every VMA in turn ({@code vma_start_write_killable}),
   * waiting out each VMA's readers, so no reader holds a parent VMA while it is copied. See {@code
   * ForkOps} for what is left out (page tables, {@code anon_vma}).
   *
   * <p>Context: may block. Locking: the calling thread must not hold this mm's mmap lock; it holds
   * nothing of either mm on return. The child is the caller's; {@link #close()} it when done.
   *
   * @return the child mm
   * @throws InterruptedException if interrupted in {@code mmap_write_lock_killable} or in a VMA's
   *     {@code vma_start_write_killable} ({@code -EINTR}): the half-built child is closed, this mm
   *     is unchanged and nothing is held
   * @throws IllegalStateException if closed or the calling thread holds the mmap lock
   */
  public MmStruct dupMmap() throws InterruptedException {
    return ForkOps.dupMmap(this);
  }

  /**
   * {@code exit_mmap}: unmaps everything and frees the VMAs to the cache; later address-space
   * operations and {@code close()} throw.
   *
   * <p>Context: may block (waits for readers of every VMA). Locking: the calling thread must not
   * hold the mmap lock; it holds nothing on return.
   *
   * @throws IllegalStateException if already closed, or the calling thread holds the mmap lock
   */
  @Override
  public void close() {
    MmapOps.exitMmap(this);
  }

  /**
   * Whether {@link #close()} has run.
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closed;
  }

  // ---- statistics
  // ----------------------------------------------------------------------------------

  /**
   * The {@code VMA_LOCK_*} counters. {@link #lockVmaUnderRcu(long)} counts aborts and misses
   * itself; callers count successes and retries through {@link #countVmaLockEvent(VmaLockEvent)}.
   *
   * <p>Context: never blocks; a snapshot of striped counters (not atomic across the four).
   *
   * @return the counters
   */
  public VmaLockStats vmaLockStats() {
    return new VmaLockStats(statSuccess.sum(), statAbort.sum(), statRetry.sum(), statMiss.sum());
  }

  /**
   * {@code count_vm_vma_lock_event}: adds one to a counter. Striped ({@link LongAdder}): no single
   * shared hot word.
   *
   * <p>Context: never blocks.
   *
   * @param event the event
   * @throws IllegalArgumentException if null
   */
  public void countVmaLockEvent(VmaLockEvent event) {
    if (event == null) {
      throw new IllegalArgumentException("event must not be null");
    }
    switch (event) {
      case SUCCESS -> statSuccess.increment();
      case ABORT -> statAbort.increment();
      case RETRY -> statRetry.increment();
      case MISS -> statMiss.increment();
    }
  }

  // ---- debug mode
  // -------------------------------------------------------------------------------------

  /**
   * Runs {@code action} in a no-sleep context (the kernel's atomic context, checked by {@code
   * might_sleep()}): inside it, every call that may block ({@link #mmapReadLock()}, {@link
   * #mmapWriteLock()}, {@link #vmaStartReadUnlocked(long)}, {@link #lockNextVma(long)}, {@link
   * #lockMmAndFindVma(long)}, the address-space operations) throws {@link IllegalStateException} at
   * once, whether or not it would have had to wait. The context belongs to the calling thread and
   * nests; it is checked whatever the debug mode.
   *
   * <p>Context: as {@code action}.
   *
   * @param action the code that must not sleep
   * @throws IllegalArgumentException if {@code action} is null
   */
  public void noSleep(Runnable action) {
    if (action == null) {
      throw new IllegalArgumentException("action must not be null");
    }
    MmDebug.noSleep(action);
  }

  /** {@code might_sleep()}: refuses to block inside {@link #noSleep(Runnable)}. */
  void mightSleep(String what) {
    MmDebug.mightSleep(what);
  }

  /**
   * {@code debug_check_no_locks_held}: the calling thread holds neither the mmap lock nor (debug
   * mode) any VMA read lock of this mm.
   *
   * <p>Context: never blocks. Outside debug mode only the mmap lock can be checked.
   *
   * @throws IllegalStateException naming what is held
   */
  public void assertNoLocksHeld() {
    MmDebug.assertNoLocksHeld(this);
  }

  /**
   * What the calling thread holds of this mm: in debug mode the lockdep-like list (mmap lock holds
   * and VMA read references); otherwise the mmap lock hold counts only.
   *
   * <p>Context: never blocks.
   *
   * @return a description
   */
  public String heldLocks() {
    return MmDebug.heldLocks(this);
  }

  /**
   * Checks the whole mm is at rest: the mmap lock is free, and every VMA's {@code vm_refcnt} is 1
   * (attached, no reader; 0 in {@link LockMode#MMAP_LOCK_ONLY}) and not write-locked. Finds leaked
   * read references such as the BPF stack-map bug of v2 of the series.
   *
   * <p>Context: may block briefly (takes the mmap read lock to walk the VMAs, after checking the
   * lock is free). Locking: the calling thread must not hold the mmap lock.
   *
   * @throws IllegalStateException naming the held lock or every offending VMA
   */
  public void assertQuiescent() {
    MmDebug.assertQuiescent(this);
  }

  // ---- description
  // ------------------------------------------------------------------------------------

  /**
   * The layout in {@code /proc/pid/maps} style: one line per VMA, {@code start-end perms offset
   * 00:00 0}, where offset is 0 as {@code /proc/pid/maps} prints it for anonymous memory (every VMA
   * of the model is anonymous; {@code show_map_vma} prints {@code pgoff << 12} for files only).
   *
   * <p>Context: may block (takes the mmap read lock unless the calling thread already holds the
   * mmap lock).
   *
   * @return the maps text, empty for an empty mm
   */
  public String dumpMaps() {
    boolean locked = mmapLock.isWriteLockedByCurrentThread() || mmapLock.getReadHoldCount() > 0;
    if (!locked) {
      mmapReadLock();
    }
    try {
      StringBuilder sb = new StringBuilder();
      for (VmArea v : VmaOps.collect(this, 0, -1L)) {
        sb.append(
            String.format(
                "%08x-%08x %s %08x 00:00 0%n",
                v.vmStart, v.vmEnd, VmFlags.toString(v.vmFlags), 0L));
      }
      return sb.toString();
    } finally {
      if (!locked) {
        mmapReadUnlock();
      }
    }
  }

  /** A one-line summary for debuggers; takes no lock. */
  @Override
  public String toString() {
    return name
        + "[map_count="
        + mapCount
        + ", mm_lock_seq="
        + Integer.toUnsignedString(mmLockSeq.readOnce())
        + ", "
        + lockMode
        + (faithful ? "" : ", protocol=" + protocol)
        + (debug ? ", debug" : "")
        + (closed ? ", closed" : "")
        + ", mmap_lock="
        + mmapLock
        + "]";
  }
}
