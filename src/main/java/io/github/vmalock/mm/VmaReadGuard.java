package io.github.vmalock.mm;

/**
 * A VMA read reference as an {@link AutoCloseable}, for try-with-resources (the Rust binding's
 * {@code VmaReadGuard}, whose drop calls {@code vma_end_read}).
 *
 * <pre>{@code
 * try (VmaReadGuard g = mm.lockVmaUnderRcuGuarded(addr)) {
 *   if (g != null) {
 *     use(g.vma());
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-confined: one thread uses and closes a guard. {@link #close()} releases the reference
 * once; later calls do nothing.
 */
public final class VmaReadGuard implements AutoCloseable {
  private final VmArea vma;
  private boolean closed;

  VmaReadGuard(VmArea vma) {
    this.vma = vma;
  }

  /**
   * The read-locked VMA; valid until {@link #close()}.
   *
   * @return the VMA
   * @throws IllegalStateException if the guard is closed
   */
  public VmArea vma() {
    if (closed) {
      throw new IllegalStateException("VmaReadGuard already closed: " + vma);
    }
    return vma;
  }

  /**
   * Drops the read reference ({@link VmArea#endRead()}) the first time; later calls do nothing.
   *
   * <p>Context: never blocks.
   */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      vma.endRead();
    }
  }

  @Override
  public String toString() {
    return "VmaReadGuard[" + (closed ? "closed " : "") + vma + "]";
  }
}
