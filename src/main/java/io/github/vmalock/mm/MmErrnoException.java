package io.github.vmalock.mm;

/** TEMPORARY stand-in until the mm-fidelity branch is merged. */
public class MmErrnoException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final Errno errno;

  public MmErrnoException(Errno errno, String message) {
    super(message);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }
}
