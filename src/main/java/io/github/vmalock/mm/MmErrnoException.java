package io.github.vmalock.mm;

/**
 * A model operation failed where the kernel returns an errno: {@link #errno()} says which, the
 * message says why. An {@link IllegalStateException}, so callers written against the model's
 * earlier "message names the errno" contract still catch it. The operation that throws it leaves
 * the model's state as it found it and holds nothing it did not hold on entry.
 */
public class MmErrnoException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The errno; an enum, so serializable. */
  private final Errno errno;

  /**
   * An exception for {@code errno}; the message is prefixed with the errno's name, as the model's
   * other messages are ("EAGAIN: ...").
   *
   * @param errno the errno the kernel would return
   * @param message what failed and why
   * @throws IllegalArgumentException if {@code errno} is null
   */
  public MmErrnoException(Errno errno, String message) {
    super(prefix(errno, message));
    this.errno = errno;
  }

  /**
   * As {@link #MmErrnoException(Errno, String)}, with a cause.
   *
   * @param errno the errno the kernel would return
   * @param message what failed and why
   * @param cause the model's internal failure behind it
   * @throws IllegalArgumentException if {@code errno} is null
   */
  public MmErrnoException(Errno errno, String message, Throwable cause) {
    super(prefix(errno, message), cause);
    this.errno = errno;
  }

  static String prefix(Errno errno, String message) {
    if (errno == null) {
      throw new IllegalArgumentException("errno must not be null");
    }
    return message != null && message.startsWith(errno.name()) ? message : errno + ": " + message;
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
