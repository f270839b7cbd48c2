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
 * Port of the kernel litmus test {@code Documentation/litmus-tests/rcu/RCU+sync+read}: after a
 * grace period the updater sees every store of the read-side critical sections that began before
 * it. A section cannot span a grace period, so if the updater saw the section's first store before
 * {@code synchronize_rcu()}, it sees the second one after.
 *
 * <pre>
 * P0: rcu_read_lock(); WRITE_ONCE(*x, 1); WRITE_ONCE(*y, 1); rcu_read_unlock();
 * P1: r0 = READ_ONCE(*x); synchronize_rcu(); r1 = READ_ONCE(*y);
 * exists (1:r0=1 /\ 1:r1=0)     Result: Never
 * </pre>
 *
 * It fails for a grace period that does not wait ({@code SYNC_NO_WAIT}). It pins the exit's release
 * store against the grace period's acquire scan.
 */
@JCStressTest
@Description(
    "RCU+sync+read (Documentation/litmus-tests/rcu): after synchronize_rcu() the updater sees all"
        + " stores of read-side critical sections that began before it")
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
public class RcuSyncRead extends RcuSyncReadCells {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  @Actor
  public void p0() {
    RCU.readLock();
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
