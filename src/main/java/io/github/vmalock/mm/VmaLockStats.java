package io.github.vmalock.mm;

/**
 * A snapshot of an mm's per-VMA lock counters, the {@code /proc/vmstat} {@code VMA_LOCK_*} values.
 *
 * @param success {@code VMA_LOCK_SUCCESS}: faults completed under a VMA lock (counted by callers)
 * @param abort {@code VMA_LOCK_ABORT}: {@code lockVmaUnderRcu} returned null
 * @param retry {@code VMA_LOCK_RETRY}: faults retried under the mmap lock (counted by callers)
 * @param miss {@code VMA_LOCK_MISS}: {@code lockVmaUnderRcu} walks retried on a detached VMA
 */
public record VmaLockStats(long success, long abort, long retry, long miss) {}
