package io.github.vmalock.mm;

/**
 * The per-VMA lock protocol an {@link MmStruct} runs: the faithful one, or a known-bad variant for
 * the jcstress harnesses to catch. Never the default; the faithful fast path pays nothing for the
 * variants (they are tested only on branches the faithful path takes on failure, or in separate
 * code paths).
 *
 * <p>Chosen with {@link MmStruct.Builder#variant(ProtocolVariant)}, or, for mms built without one,
 * by the system property {@code vmalock.variant} when it names one of these constants (other names
 * are left to other packages' variant enums).
 */
public enum ProtocolVariant {
  /** The kernel's protocol, with the corrected {@code vma_start_read_unlocked} slow path. */
  FAITHFUL,

  /**
   * The series v2 slow path: {@code vma_start_read_locked} on the NULL result of the fast path (no
   * {@code vma_lookup}): {@link MmStruct#vmaStartReadUnlocked(long)} throws {@link
   * NullPointerException} whenever its fast path fails (the kernel would oops).
   */
  SEED_V2_NULL_DEREF,

  /**
   * A slow path that reuses the VMA pointer from the RCU walk that preceded the failed fast path
   * instead of looking it up again under the mmap lock: it may lock a VMA that was since detached,
   * shrunk, or recycled for another range or mm.
   */
  STALE_SLOW_PATH_VMA,

  /** {@code lock_vma_under_rcu} without the address-range re-check after locking. */
  NO_RANGE_RECHECK,

  /** {@code vma_start_read} without the {@code vm_mm} check for a recycled object. */
  NO_MM_RECHECK,

  /**
   * {@code vma_start_read} without the {@code vm_lock_seq} checks: neither the early check nor the
   * acquire re-check after the increment (so readers enter write-locked VMAs).
   */
  NO_SEQ_RECHECK,

  /** {@code vma_start_write} that sets {@code vm_lock_seq} without waiting for readers to leave. */
  WRITER_NO_WAIT,

  /**
   * {@code vma_mark_detached} that drops the attach reference and returns without waiting for
   * transient readers (the VMA may be freed and reused while a reader still holds a reference). The
   * reader's late put then lands on the reused object: {@code vma_init}'s reset to 0 has already
   * forgotten that reference, so an attached VMA drops to {@code vm_refcnt} 0 (or -1), and {@link
   * MmStruct#lockVmaUnderRcu(long)} walking to it retries its "detached under us" path without end,
   * as the kernel's {@code goto retry} would.
   */
  DETACH_NO_WAIT;

  /**
   * The variant named by the system property {@code vmalock.variant}, if it names one of these
   * constants.
   *
   * @return that variant, or {@link #FAITHFUL}
   */
  static ProtocolVariant fromSystemProperty() {
    String name = System.getProperty("vmalock.variant");
    if (name != null) {
      for (ProtocolVariant v : values()) {
        if (v.name().equals(name.trim())) {
          return v;
        }
      }
    }
    return FAITHFUL;
  }
}
