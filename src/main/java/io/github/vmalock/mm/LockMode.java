package io.github.vmalock.mm;

/**
 * Which locks an {@link MmStruct} offers its readers, chosen when it is built.
 *
 * <p>A baseline beside the real thing, so that benchmarks and the simulator can compare.
 */
public enum LockMode {
  /** Per-VMA locks, as every kernel since the series "make per-VMA locks available universally". */
  PER_VMA,

  /**
   * A kernel built without per-VMA locks ({@code CONFIG_PER_VMA_LOCK=n} before the series): {@link
   * MmStruct#lockVmaUnderRcu(long)} always returns null, VMA write locks, attach and detach do
   * nothing, and VMA read locks cannot be taken ({@link MmStruct#vmaStartReadUnlocked(long)},
   * {@link MmStruct#lockNextVma(long)} and {@link VmArea#startReadLocked()} throw {@link
   * UnsupportedOperationException}): every reader uses the mmap lock. As the stubs of {@code
   * include/linux/mmap_lock.h} without {@code CONFIG_PER_VMA_LOCK}, the mmap write lock does not
   * move {@code mm_lock_seq} ({@link MmStruct#mmLockSeq()} stays where it was built), {@link
   * MmStruct#mmapLockSpeculateTryBegin()} always fails ({@code -1}) and {@link
   * MmStruct#mmapLockSpeculateRetry(long)} always says retry.
   */
  MMAP_LOCK_ONLY
}
