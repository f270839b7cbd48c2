package io.github.vmalock.mm;

import io.github.vmalock.rcu.Rcu;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The VMA slab cache, {@code vm_area_cachep}, created with {@code SLAB_TYPESAFE_BY_RCU}: a freed
 * {@link VmArea} stays a {@code VmArea} (readers that still hold a pointer from an RCU walk may
 * touch it) but may be handed out again <em>at once</em>, to another range or to another mm sharing
 * the cache. This is why {@link MmStruct#lockVmaUnderRcu(long)} re-checks {@code vm_refcnt}, {@code
 * vm_mm} and the range after locking.
 *
 * <p>Context: {@link #size()} and the package-private allocation and free never block.
 */
public final class VmAreaCache {
  /*
   * Implementation notes.
   *
   * The free list is a lock-free LIFO (ConcurrentLinkedDeque used as a stack, the slab's per-CPU
   * freelist being last-in first-out too), so the object freed last is the next one reused: reuse
   * is immediate and frequent, which exercises the readers' re-checks. The list is bounded
   * (MAX_FREE); objects beyond it are left to the garbage collector. A freed object must be
   * detached (vm_refcnt == 0: vm_area_free asserts it); a faithful mm never frees one that a reader
   * still holds, because detaching waits for transient readers.
   *
   * Modes, for comparison: Mode#IMMEDIATE_REUSE (the kernel since 6.15, the default),
   * Mode#GRACE_PERIOD (the 6.4 to 6.14 scheme: the object returns to the free list only after an
   * RCU grace period, through Rcu.callRcu(Runnable)), Mode#NO_REUSE (every allocation is a new
   * object).
   */

  /** When a freed object may be handed out again. */
  public enum Mode {
    /** At once, last freed first reused ({@code SLAB_TYPESAFE_BY_RCU}); the default. */
    IMMEDIATE_REUSE,
    /** Only after an RCU grace period ({@code call_rcu} of the freed object, kernels 6.4-6.14). */
    GRACE_PERIOD,
    /** Never: every allocation is a fresh object. */
    NO_REUSE
  }

  /** The largest number of free objects kept for reuse. */
  static final int MAX_FREE = 1 << 16;

  private static final VmAreaCache SHARED = new VmAreaCache();

  private final Mode mode;
  private final Rcu rcu;
  private final ConcurrentLinkedDeque<VmArea> free = new ConcurrentLinkedDeque<>();
  private final AtomicInteger freeCount = new AtomicInteger();
  private final LongAdder reused = new LongAdder();

  /** A cache that recycles freed objects at once ({@link Mode#IMMEDIATE_REUSE}). */
  public VmAreaCache() {
    this(Mode.IMMEDIATE_REUSE, Rcu.global());
  }

  /**
   * A cache with the given reuse mode; {@link Mode#GRACE_PERIOD} waits on {@link Rcu#global()}.
   *
   * @param mode when freed objects may be reused
   */
  public VmAreaCache(Mode mode) {
    this(mode, Rcu.global());
  }

  /**
   * A cache with the given reuse mode and RCU domain (used by {@link Mode#GRACE_PERIOD}).
   *
   * @param mode when freed objects may be reused
   * @param rcu the domain whose grace periods delay reuse in {@link Mode#GRACE_PERIOD}
   * @throws IllegalArgumentException if an argument is null
   */
  public VmAreaCache(Mode mode, Rcu rcu) {
    if (mode == null || rcu == null) {
      throw new IllegalArgumentException("mode and rcu must not be null: " + mode + ", " + rcu);
    }
    this.mode = mode;
    this.rcu = rcu;
  }

  /**
   * The cache shared by every {@link MmStruct} built without one ({@link Mode#IMMEDIATE_REUSE}).
   *
   * @return the shared cache
   */
  public static VmAreaCache shared() {
    return SHARED;
  }

  /**
   * The reuse mode.
   *
   * @return the mode this cache was built with
   */
  public Mode mode() {
    return mode;
  }

  /**
   * How many freed objects wait for reuse (approximate under concurrency).
   *
   * @return the free-list length
   */
  public int size() {
    return freeCount.get();
  }

  /**
   * How many allocations were served by a recycled object.
   *
   * @return the reuse count since creation
   */
  public long reuseCount() {
    return reused.sum();
  }

  /** {@code vm_area_alloc}: a recycled object if there is one, else a new one; never blocks. */
  VmArea alloc() {
    VmArea v = free.pollFirst();
    if (v == null) {
      return new VmArea();
    }
    freeCount.decrementAndGet();
    reused.increment();
    return v;
  }

  /**
   * {@code vm_area_free}: returns a detached object for reuse according to the mode.
   *
   * @param vma a detached VMA that no tree reaches any more
   */
  void free(VmArea vma) {
    switch (mode) {
      case IMMEDIATE_REUSE -> push(vma);
      case GRACE_PERIOD -> rcu.callRcu(() -> push(vma));
      case NO_REUSE -> {}
    }
  }

  private void push(VmArea vma) {
    if (freeCount.get() >= MAX_FREE) {
      return;
    }
    freeCount.incrementAndGet();
    free.addFirst(vma);
  }

  @Override
  public String toString() {
    return "VmAreaCache[" + mode + ", free=" + size() + ", reused=" + reuseCount() + "]";
  }
}
