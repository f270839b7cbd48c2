package io.github.vmalock.mm;

import java.util.Optional;

/**
 * The kernel error numbers the model's operations fail with, as {@code include/uapi/asm-generic/
 * errno-base.h} and {@code errno.h} name them. Carried by {@link MmErrnoException} (a wrong state
 * or no room) and {@link MmErrnoArgumentException} (bad arguments), so that a caller can branch on
 * the errno the kernel would return instead of parsing a message: {@link #of(Throwable)}.
 */
public enum Errno {
  /** Invalid argument (an unaligned address, a bad flag). */
  EINVAL(22),
  /** Out of memory, or no mapping where one is needed, or {@code vm.max_map_count} reached. */
  ENOMEM(12),
  /** A fixed-noreplace mapping over an existing one. */
  EEXIST(17),
  /** Not permitted (a fixed address below {@code mmap_min_addr}). */
  EPERM(1),
  /** Interrupted by a signal while waiting ({@code mmap_read_lock_killable}). */
  EINTR(4),
  /** Try again: a lock could not be taken now (a VMA's reader count is at its limit). */
  EAGAIN(11),
  /** Bad address: {@code mremap} of an address no VMA covers, or a range past its VMA. */
  EFAULT(14);

  private final int number;

  Errno(int number) {
    this.number = number;
  }

  /**
   * The errno's value on Linux (x86-64, arm64 and the generic table agree for these).
   *
   * @return the positive errno number
   */
  public int number() {
    return number;
  }

  /**
   * The errno a failed model call carries: that of an {@link MmErrnoException} or an {@link
   * MmErrnoArgumentException}, whichever {@code t} is.
   *
   * @param t a throwable from a model call, or null
   * @return the errno, or empty if {@code t} carries none (a closed mm, a lock misuse)
   */
  public static Optional<Errno> of(Throwable t) {
    if (t instanceof MmErrnoException e) {
      return Optional.of(e.errno());
    }
    if (t instanceof MmErrnoArgumentException e) {
      return Optional.of(e.errno());
    }
    return Optional.empty();
  }
}
