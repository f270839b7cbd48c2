package io.github.vmalock.mm;

/**
 * A model operation refused its arguments where the kernel returns an errno: {@link #errno()} says
 * which ({@link Errno#EINVAL} for an unaligned address, a bad length or flag, {@link Errno#EPERM}
 * for a fixed address below {@code mmap_min_addr}), the message says why. An {@link
 * IllegalArgumentException}, so callers that caught the model's earlier argument checks still catch
 * it. Nothing was taken and nothing changed when it is thrown. {@link Errno#of(Throwable)} reads
 * the errno of this type and of {@link MmErrnoException} alike.
 */
public class MmErrnoArgumentException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The errno; an enum, so serializable. */
  private final Errno errno;

  /**
   * An exception for {@code errno}; the message is prefixed with the errno's name ("EINVAL: ...").
   *
   * @param errno the errno the kernel would return
   * @param message what was refused and why
   * @throws IllegalArgumentException if {@code errno} is null
   */
  public MmErrnoArgumentException(Errno errno, String message) {
    super(MmErrnoException.prefix(errno, message));
    this.errno = errno;
  }

  /**
   * The errno the kernel would return.
   *
   * @return never null
   */
  public Errno errno() {
    return errno;
  }
}
