package io.github.vmalock.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.RcuVariant;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Port of the kernel litmus test {@code Documentation/litmus-tests/rcu/RCU+sync+free}: an RCU
 * reader can never see a write that follows a grace period if it did not see the writes that
 * precede it. The updater unpublishes {@code x}, waits for a grace period and then "frees" it
 * (writes 0); a reader that still found {@code x} must still see it intact.
 *
 * <pre>
 * P0: rcu_read_lock(); r0 = rcu_dereference(*y); r1 = READ_ONCE(*r0); rcu_read_unlock();
 * P1: rcu_assign_pointer(*y, z); synchronize_rcu(); WRITE_ONCE(*x, 0);
 * exists (0:r0=x /\ 0:r1=0)     Result: Never
 * </pre>
 *
 * This is the store-buffer shape the implementation notes of {@code rcu.GracePeriods} argue: it
 * fails for a reader that publishes its section with a release store ({@code RELEASE_PUBLICATION})
 * and for a grace period that does not wait ({@code SYNC_NO_WAIT}). Result {@code (r0, r1)}: r0 is
 * 1 if the reader found {@code x}, 0 if it found {@code z}.
 */
@JCStressTest
@Description(
    "RCU+sync+free (Documentation/litmus-tests/rcu): after rcu_assign_pointer() and"
        + " synchronize_rcu(), freeing the old element cannot be seen by a reader that found it")
@Outcome(
    id = "1, 1",
    expect = ACCEPTABLE,
    desc = "The reader found the old element x before it was unpublished, and saw it intact")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The reader found the new element z")
@Outcome(
    expect = FORBIDDEN,
    desc = "Anything else, in particular (1, 0): the reader saw x freed under it")
@State
public class RcuSyncFree {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  /** An element: one int field, read and written with READ_ONCE / WRITE_ONCE twins. */
  static final class Cell {
    int v = 1;
  }

  private final Cell x = new Cell();
  private final Cell z = new Cell();

  @SuppressWarnings("UnusedVariable") // accessed through Y
  private Cell y = x;

  @Actor
  public void p0(II_Result r) {
    RCU.readLock();
    Cell r0 = (Cell) Y.getAcquire(this); // rcu_dereference(*y)
    int r1 = (int) CELL_V.getOpaque(r0); // READ_ONCE(*r0)
    RCU.readUnlock();
    r.r1 = r0 == x ? 1 : 0;
    r.r2 = r1;
  }

  @Actor
  public void p1() {
    Y.setRelease(this, z); // rcu_assign_pointer(*y, z)
    RCU.synchronize(); // synchronize_rcu()
    CELL_V.setOpaque(x, 0); // WRITE_ONCE(*x, 0): the free
  }

  private static final VarHandle Y;
  private static final VarHandle CELL_V;

  static {
    try {
      Y = MethodHandles.lookup().findVarHandle(RcuSyncFree.class, "y", Cell.class);
      CELL_V = MethodHandles.lookup().findVarHandle(Cell.class, "v", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
