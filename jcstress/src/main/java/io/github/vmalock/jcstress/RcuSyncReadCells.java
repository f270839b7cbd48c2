package io.github.vmalock.jcstress;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The two shared variables {@code x} and {@code y} of the {@code RCU+sync+read} litmus shape, with
 * the kernel's {@code WRITE_ONCE} / {@code READ_ONCE} as opaque accesses. {@link RcuSyncRead} and
 * {@link RcuSyncReadNested} extend it; they differ only in the reader's section (flat or nested),
 * which each spells out in its own actors.
 */
abstract class RcuSyncReadCells {

  @SuppressWarnings("UnusedVariable") // accessed through X
  private int x;

  @SuppressWarnings("UnusedVariable") // accessed through Y
  private int y;

  /** {@code WRITE_ONCE(*x, v)}. */
  final void writeOnceX(int v) {
    X.setOpaque(this, v);
  }

  /** {@code WRITE_ONCE(*y, v)}. */
  final void writeOnceY(int v) {
    Y.setOpaque(this, v);
  }

  /** {@code READ_ONCE(*x)}. */
  final int readOnceX() {
    return (int) X.getOpaque(this);
  }

  /** {@code READ_ONCE(*y)}. */
  final int readOnceY() {
    return (int) Y.getOpaque(this);
  }

  private static final VarHandle X;
  private static final VarHandle Y;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      X = l.findVarHandle(RcuSyncReadCells.class, "x", int.class);
      Y = l.findVarHandle(RcuSyncReadCells.class, "y", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
