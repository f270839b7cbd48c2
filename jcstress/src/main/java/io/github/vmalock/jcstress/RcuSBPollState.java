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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The store-buffer core of the grace-period guarantee, checked with the polled API ({@code
 * get_state_synchronize_rcu()} / {@code poll_state_synchronize_rcu()}, {@code kernel/rcu/tree.c}):
 * the RCU form of {@code tools/memory-model/litmus-tests/SB+fencembonceonces}, where the reader's
 * "I am inside" store and the updater's unpublishing store are each followed by a load of the other
 * side's location.
 *
 * <pre>
 * P0: rcu_read_lock(); r0 = rcu_dereference(*y);
 *     r2 = wait (a bounded spin) until the updater has polled; rcu_read_unlock();
 * P1: rcu_assign_pointer(*y, z); c = get_state_synchronize_rcu();
 *     r1 = poll_state_synchronize_rcu(c); tell the reader it has polled;
 * exists (0:r0=x /\ 1:r1=true /\ 0:r2=polled)     Never
 * </pre>
 *
 * The reader waits inside its section, a bounded number of spins, for the updater's poll. If it saw
 * the poll happen while inside, a poll that reports the grace period over has ended it under a
 * reader that found the old element {@code x}. Never blocking, the poll checks the readers exactly
 * once right after the updater's store, so this harness hits the store-buffer window far more often
 * than {@code RCU+sync+free} (which also needs the reader's second load to straddle the whole grace
 * period). It catches a reader that publishes its section with a release store ({@code
 * RELEASE_PUBLICATION}) and a grace period that does not look at readers ({@code SYNC_NO_WAIT}).
 *
 * <p>Before entering its section the reader writes a field ({@code noise}) of this small state
 * object, whose cache line the updater owns after writing {@code y}: the entry store then waits in
 * the store buffer behind that ownership transfer, which widens the store-buffer window without
 * changing the allowed outcomes (a faithful entry's full fence drains both stores before the
 * reader's loads).
 *
 * <p>Result {@code (r0, r1, r2)}: r0 is 1 if the reader found {@code x}; r1 is 1 if the poll said
 * the grace period had ended; r2 is 1 if the reader saw the poll done before it left (0 if its spin
 * ran out first, when any r0 and r1 are fine).
 */
@JCStressTest
@Description(
    "SB+fencembonceonces in RCU form: poll_state_synchronize_rcu() cannot report a grace period"
        + " over while a reader that found the unpublished element is inside (rcu_read_lock()"
        + " needs a StoreLoad barrier against the updater's store-then-scan)")
@Outcome(
    id = {"0, 0, 0", "0, 0, 1", "0, 1, 0", "0, 1, 1"},
    expect = ACCEPTABLE,
    desc = "The reader found the new element z")
@Outcome(
    id = {"1, 0, 0", "1, 0, 1"},
    expect = ACCEPTABLE,
    desc = "The reader found x and the poll saw it inside (or another grace period was running)")
@Outcome(
    id = "1, 1, 0",
    expect = ACCEPTABLE,
    desc = "The reader found x and left before the poll (its spin ran out)")
@Outcome(
    expect = FORBIDDEN,
    desc = "Anything else, in particular (1, 1, 1): grace period over under a reader holding x")
@State
public class RcuSBPollState {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  /** An element; only its identity matters here. */
  static final class Cell {}

  /** How long the reader waits inside for the poll: bounded, so a descheduled updater is fine. */
  private static final int SPINS = 1_000;

  private final Cell x = new Cell();
  private final Cell z = new Cell();

  @SuppressWarnings("UnusedVariable") // accessed through Y
  private Cell y = x;

  @SuppressWarnings("UnusedVariable") // accessed through POLLED
  private boolean polled;

  /** Written by the reader before its section; shares a cache line with the updater's fields. */
  @SuppressWarnings("UnusedVariable") // accessed through NOISE
  private int noise;

  @Actor
  public void p0(III_Result r) {
    NOISE.setOpaque(this, 1); // see the class comment: delays the section-entry store
    RCU.readLock();
    Cell r0 = (Cell) Y.getAcquire(this); // rcu_dereference(*y)
    boolean sawPoll = false;
    for (int i = 0; i < SPINS && !sawPoll; i++) {
      sawPoll = (boolean) POLLED.getAcquire(this); // pairs with the updater's release below
      Thread.onSpinWait();
    }
    RCU.readUnlock();
    r.r1 = r0 == x ? 1 : 0;
    r.r3 = sawPoll ? 1 : 0;
  }

  @Actor
  public void p1(III_Result r) {
    Y.setRelease(this, z); // rcu_assign_pointer(*y, z)
    long cookie = RCU.pollState(); // get_state_synchronize_rcu()
    r.r2 = RCU.pollStateSynchronized(cookie) ? 1 : 0; // poll_state_synchronize_rcu()
    POLLED.setRelease(this, true);
  }

  private static final VarHandle Y;
  private static final VarHandle POLLED;
  private static final VarHandle NOISE;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      Y = l.findVarHandle(RcuSBPollState.class, "y", Cell.class);
      POLLED = l.findVarHandle(RcuSBPollState.class, "polled", boolean.class);
      NOISE = l.findVarHandle(RcuSBPollState.class, "noise", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
