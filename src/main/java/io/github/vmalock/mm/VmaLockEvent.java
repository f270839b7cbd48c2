package io.github.vmalock.mm;

/**
 * The {@code /proc/vmstat} per-VMA lock events ({@code VMA_LOCK_*} in {@code
 * include/linux/vm_event_item.h}), counted by {@link MmStruct#countVmaLockEvent(VmaLockEvent)}.
 */
public enum VmaLockEvent {
  /** A fault was handled under the VMA lock ({@code VMA_LOCK_SUCCESS}; counted by the caller). */
  SUCCESS,
  /** {@code lock_vma_under_rcu} failed: the caller falls back to the mmap lock. */
  ABORT,
  /** The handler asked for a retry under the mmap lock ({@code VMA_LOCK_RETRY}; caller). */
  RETRY,
  /** {@code lock_vma_under_rcu} found the VMA detached under it and retried the walk. */
  MISS
}
