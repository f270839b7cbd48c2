package io.github.vmalock.sim.callers;

/** What one simulated kernel call did, as counted in the report. */
public enum Outcome {
  /** The work was done under the VMA read lock (the per-VMA fast path, or after the series). */
  VMA_LOCKED,
  /** The work was done under {@code mmap_lock}: the fallback. */
  MMAP_LOCKED,
  /** The call gave up without blocking (the shrinker's {@code LRU_SKIP}, a failed trylock). */
  SKIPPED,
  /** No VMA covers the address ({@code SIGSEGV}, {@code -ESRCH}, {@code -EINVAL}). */
  NO_VMA,
  /** A VMA was found but refused: access error, not a TCP mapping, no build ID. */
  REFUSED,
  /** A writer's address-space operation completed. */
  WRITE_DONE,
  /**
   * A writer's operation was refused and changed nothing: ENOMEM ({@code mprotect} over a hole) or
   * EFAULT ({@code mremap} of a source that is not one mapped VMA).
   */
  WRITE_ENOMEM,
  /** The call threw: counted as an invariant violation. */
  ERROR
}
