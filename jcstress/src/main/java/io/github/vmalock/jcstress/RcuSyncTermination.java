package io.github.vmalock.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.RcuVariant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Liveness of {@code synchronize_rcu()} ({@code kernel/rcu/tree.c}): a grace period that waits for
 * a reader ends once that reader leaves its read-side critical section. The state's constructor has
 * a helper reader thread enter a section (a section must be left by the thread that entered it, and
 * jcstress runs the constructor, the actor and the signal on threads of its own); the actor calls
 * {@code synchronize()}, which must wait; the signal tells the reader to leave, after which the
 * actor must return.
 *
 * <p>A grace period that misses the reader's exit (its release store of 0 against the grace
 * period's acquire polling, or a park that is never re-checked) leaves the actor STALE. None of the
 * known-bad {@code RcuVariant}s breaks liveness; this harness pins the faithful path.
 */
@JCStressTest(Mode.Termination)
@Description(
    "synchronize_rcu() (kernel/rcu/tree.c) returns once the pre-existing reader calls"
        + " rcu_read_unlock()")
@Outcome(
    id = "TERMINATED",
    expect = ACCEPTABLE,
    desc = "synchronize() returned after the reader left")
@Outcome(expect = FORBIDDEN, desc = "STALE or anything else: synchronize() missed the exit")
@State
public class RcuSyncTermination {
  private static final Rcu RCU =
      Rcu.builder()
          .protocol(RcuVariant.fromSystemProperty().protocol())
          .reclaimerThread(false)
          .build();

  /** Hands each state to the reader thread. */
  private static final SynchronousQueue<RcuSyncTermination> REQUESTS = new SynchronousQueue<>();

  static {
    Thread reader = new Thread(RcuSyncTermination::readerLoop, "rcu-termination-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private final CountDownLatch inside = new CountDownLatch(1);
  private volatile boolean leave;

  public RcuSyncTermination() {
    boolean interrupted = false;
    while (true) {
      try {
        REQUESTS.put(this);
        inside.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static void readerLoop() {
    while (true) {
      RcuSyncTermination s;
      try {
        s = REQUESTS.take();
      } catch (InterruptedException e) {
        continue;
      }
      RCU.readLock();
      s.inside.countDown();
      while (!s.leave) {
        LockSupport.parkNanos(10_000L);
      }
      RCU.readUnlock();
    }
  }

  @Actor
  public void actor() {
    RCU.synchronize(); // waits for the reader's section, which began in the constructor
  }

  @Signal
  public void signal() {
    leave = true;
  }
}
