package io.github.vmalock.sim.world;

/**
 * Which version of the kernel callers runs: before or after the series "mm: Unconditional per-VMA
 * locks and cleanups".
 *
 * <p>{@link #BEFORE}: upstream callers, each with its own {@code mmap_lock} fallback after a failed
 * {@code lock_vma_under_rcu()}. {@link #AFTER}: the series' callers (the corrected v2): the binder
 * shrinker relies on {@code lock_vma_under_rcu()} alone, binder page install and TCP zerocopy use
 * {@code vma_start_read_unlocked()}. {@code AFTER} needs per-VMA locks ({@link
 * io.github.vmalock.mm.LockMode#PER_VMA}): the series makes them universal.
 */
public enum SeriesShape {
  /** Upstream before the series: per-VMA lock first, {@code mmap_lock} fallback. */
  BEFORE,
  /** After the series: per-VMA locks everywhere, {@code vma_start_read_unlocked()}. */
  AFTER
}
