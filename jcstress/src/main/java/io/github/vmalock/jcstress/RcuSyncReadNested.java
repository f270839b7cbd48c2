package io.github.vmalock.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.RcuVariant;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@code Documentation/litmus-tests/rcu/RCU+sync+read} with a nested section in the reader: the
 * stores follow an inner {@code rcu_read_lock()}/{@code rcu_read_unlock()} pair, still inside the
 * outer section. Nested sections count as one (the kernel's {@code rcu_read_unlock()} only ends the
 * outermost one), so the litmus result is the same.
 *
 * <pre>
 * P0: rcu_read_lock(); rcu_read_lock(); rcu_read_unlock(); WRITE_ONCE(*x, 1); WRITE_ONCE(*y, 1);
 *     rcu_read_unlock();
 * P1: r0 = READ_ONCE(*x); synchronize_rcu(); r1 = READ_ONCE(*y);
 * exists (1:r0=1 /\ 1:r1=0)     Result: Never
 * </pre>
 *
 * It fails for an unlock that ends the whole nest ({@code NESTED_UNLOCK_EARLY}) and for a grace
 * period that does not wait ({@code SYNC_NO_WAIT}).
 */
@JCStressTest
@Description(
    "RCU+sync+read (Documentation/litmus-tests/rcu) with a nested reader: an inner"
        + " rcu_read_unlock() does not end the outer section (rcu_read_unlock() in"
        + " include/linux/rcupdate.h)")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The section ran after the grace period")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The section ran during the grace period")
@Outcome(
    id = "1, 1",
    expect = ACCEPTABLE,
    desc = "The section had begun before the grace period, which waited for it")
@Outcome(
    expect = FORBIDDEN,
    desc = "Anything else, in particular (1, 0): a section spanning the grace period")
@State
public class RcuSyncReadNested extends RcuSyncReadCells {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  @Actor
  public void p0() {
    RCU.readLock();
    RCU.readLock();
    RCU.readUnlock(); // still inside the outer section
    writeOnceX(1);
    writeOnceY(1);
    RCU.readUnlock();
  }

  @Actor
  public void p1(II_Result r) {
    r.r1 = readOnceX();
    RCU.synchronize(); // synchronize_rcu()
    r.r2 = readOnceY();
  }
}
