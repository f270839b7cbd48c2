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
 * Port of the kernel litmus test {@code tools/memory-model/litmus-tests/MP+onceassign+derefonce}:
 * publish/subscribe. {@code rcu_assign_pointer()} (a release store) and {@code rcu_dereference()}
 * (an acquire load) suffice for an RCU reader never to see pre-initialisation garbage in a newly
 * inserted element.
 *
 * <pre>
 * P0: WRITE_ONCE(*x, 1); rcu_assign_pointer(*y, x);
 * P1: rcu_read_lock(); r0 = rcu_dereference(*y); r1 = READ_ONCE(*r0); rcu_read_unlock();
 * exists (1:r0=x /\ 1:r1=0)     Result: Never
 * </pre>
 *
 * Result {@code (r0, r1)}: r0 is 1 if the reader saw {@code x}, 0 if it saw the initial {@code z}.
 */
@JCStressTest
@Description(
    "MP+onceassign+derefonce (tools/memory-model/litmus-tests): rcu_assign_pointer() and"
        + " rcu_dereference() publish an initialised element to an RCU reader")
@Outcome(
    id = "0, 0",
    expect = ACCEPTABLE,
    desc = "The reader ran before the publication and saw the initial element z")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The reader saw the new element x, initialised")
@Outcome(
    expect = FORBIDDEN,
    desc = "Anything else, in particular (1, 0): the new element before its initialisation")
@State
public class RcuMPOnceassignDerefonce {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  /** An element: one int field, read and written with READ_ONCE / WRITE_ONCE twins. */
  static final class Cell {
    int v;
  }

  private final Cell x = new Cell();
  private final Cell z = new Cell();

  @SuppressWarnings("UnusedVariable") // accessed through Y
  private Cell y = z;

  @Actor
  public void p0() {
    CELL_V.setOpaque(x, 1); // WRITE_ONCE(*x, 1)
    Y.setRelease(this, x); // rcu_assign_pointer(*y, x)
  }

  @Actor
  public void p1(II_Result r) {
    RCU.readLock();
    Cell r0 = (Cell) Y.getAcquire(this); // rcu_dereference(*y)
    int r1 = (int) CELL_V.getOpaque(r0); // READ_ONCE(*r0)
    RCU.readUnlock();
    r.r1 = r0 == x ? 1 : 0;
    r.r2 = r1;
  }

  private static final VarHandle Y;
  private static final VarHandle CELL_V;

  static {
    try {
      Y = MethodHandles.lookup().findVarHandle(RcuMPOnceassignDerefonce.class, "y", Cell.class);
      CELL_V = MethodHandles.lookup().findVarHandle(Cell.class, "v", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
