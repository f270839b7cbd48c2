package io.github.vmalock.rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The grace periods of one {@link Rcu} domain ({@code synchronize_rcu()}'s wait, {@code
 * get_state_synchronize_rcu()} / {@code poll_state_synchronize_rcu()}, RCU CPU stall warnings;
 * {@code kernel/rcu/tree.c}, {@code kernel/rcu/tree_stall.h}): steps G1-G4, the polled cookies, the
 * stall and dead-reader reports, and the sweep of dead threads' reader records.
 *
 * <p>Package-private: {@link Rcu#synchronize()}, {@link Rcu#pollState()} and {@link
 * Rcu#pollStateSynchronized(long)} are the public API and delegate here; {@link RcuCallbacks} waits
 * here for its callbacks' grace periods.
 */
final class GracePeriods {
  /*
   * Implementation notes.
   *
   * State. The grace-period counter `epoch` is a field of Rcu, not of this class: readers load it
   * at R1 on every outermost rcu_read_lock(), from the Reader's `domain` field, and keeping it
   * there keeps that one dependent load (see RcuReaders). This class advances it through
   * Rcu.EPOCH (G1) and owns `completed`, the target of the last completed grace period (G4), and
   * gpLock, which serialises grace periods and is the only lock under which reader records are
   * unlinked from the registry.
   *
   * synchronize_rcu(), step for step, under gpLock:
   *   G1. target = epoch + 1, stored into `epoch` with a volatile store (skipped when a grace
   *       period that failed to finish, poll_state_synchronize_rcu()'s, already advanced it).
   *   G2. VarHandle.fullFence().
   *   G3. For every record of the registry, load its `word` with acquire until it is 0 or at
   *       least `target` (a section that began after G1), waiting by a bounded spin (SPIN_TRIES),
   *       then parkNanos with exponential backoff from 1 us up to 1 ms; records of dead threads
   *       are unlinked on the way. A domain whose protocol's gracePeriodWaits() is false skips G3
   *       (the SYNC_NO_WAIT test variant). If G3 may not block (poll_state_synchronize_rcu()), it
   *       gives up at the first reader still inside an older section: G1 stays done, G4 is not,
   *       and later grace periods accept the advanced epoch.
   *   G4. completed = target, a release store.
   *
   * Memory ordering, the argument. The updater's removal store (rcu_assign_pointer() of the
   * replacement, U1) precedes G1-G3 in program order; the reader's protected loads
   * (rcu_dereference(), L) follow R2-R3 (the reader's steps, RcuReaders' notes). This is the
   * store-buffer (Dekker) shape: updater "store U1, then load `word`" against reader "store
   * `word`, then load L". Release/acquire cannot order a store before a later load to another
   * location, so a reader publishing with a release store could have L satisfied before R2
   * becomes visible: the updater would read word == 0, end the grace period, and free what the
   * reader is reading (the RELEASE_PUBLICATION protocol of the test variants does exactly this).
   * The two full fences R3 and G2 are sequentially consistent fences: in their total order either
   * R3 comes first, and then G3's load of `word` sees R2 (or a later value of that record), so the
   * updater waits for R4; or G2 comes first, and then L sees U1 (or later), so the reader cannot
   * reach the old object and it does not matter that the updater skipped it. A fence rather than
   * a volatile store, because the protected loads in this library are acquire loads, not volatile
   * ones: the JMM's "volatile store then volatile load" guarantee covers only volatile loads,
   * while the fence orders R2 before every later load whatever its mode. On x86 both compile to
   * the same mov plus lock addl.
   *
   * The other pairings. R4 (the reader's release store of 0) pairs with G3's acquire load that
   * reads 0: everything the reader did in its section happens-before the end of the grace period,
   * so an updater may free or overwrite what the reader wrote (RCU+sync+read). G4 (release) pairs
   * with the acquire loads of `completed` in pollStateSynchronized(), in the early exit of
   * awaitGracePeriod() and in RcuCallbacks' ready checks: whoever sees the grace period completed
   * sees everything G3 saw. R1 (acquire) pairs with G1: a reader that reads the new epoch sees U1,
   * so recording `target` in its word (and so not being waited for) is safe.
   *
   * Shared grace periods. pollState() (used by synchronize() and call_rcu()) issues a full fence
   * (P0) before it reads `epoch`, as get_state_synchronize_rcu() does smp_mb(). Its cookie,
   * epoch + 1, is satisfied by any grace period whose G1 comes after that read, possibly run by
   * another thread. A reader that such a grace period skips because it read the new epoch at R1
   * read a value written after the caller's fenced read, so in the fence order P0 precedes the
   * reader's R3 and the reader's loads see the caller's U1. Without P0, U1 could still sit in the
   * caller's store buffer when the other thread's grace period ends. Concurrent synchronize()
   * calls therefore share a grace period when one began after both were called.
   *
   * Why the epoch snapshot. A reader that read the old epoch at R1 but whose R2 the updater missed
   * (G2 before R3) is harmless, as argued, and later grace periods wait for it (its word is below
   * their target), which is conservative. A reader that keeps entering and leaving short sections
   * cannot starve a grace period: a fresh entry soon reads an epoch of at least `target`, which G3
   * does not wait for.
   *
   * Dead threads and stalls. During G3 and registry sweeps, a record whose owner is no longer
   * alive (Thread.isAlive() false, which happens-after all of the owner's actions) is unlinked. If
   * its word was not 0, the thread died inside a section: it is reported (like a stall, with
   * readerDied true) and no longer waited for. A reader that holds G3 up longer than the stall
   * timeout is reported, then again after each further timeout, and still waited for; the report
   * goes to the RcuStallListener, or to the System.Logger named after Rcu with the reader's stack.
   * The registration-time sweep (RcuReaders.register) only try-locks gpLock: a registering thread
   * never waits for a grace period.
   *
   * Known weak points. Grace-period waits poll with parkNanos (readers never wake the updater,
   * which would cost them a load on exit), so a grace period that must wait for a long reader ends
   * up to 1 ms after that reader leaves. Grace periods are serialised by gpLock.
   */

  private static final System.Logger LOG = System.getLogger(Rcu.class.getName());

  /** Spins on one reader before parking. */
  private static final int SPIN_TRIES = 128;

  private static final long MIN_PARK_NANOS = 1_000L;
  private static final long MAX_PARK_NANOS = 1_000_000L;

  /** The domain whose {@code epoch} this advances; also the parking blocker. */
  private final Rcu domain;

  private final RcuReaders registry;

  /** {@link RcuProtocol#gracePeriodWaits()}, read once at construction. */
  private final boolean gracePeriodWaits;

  private final long stallTimeoutNanos;
  private final RcuStallListener stallListener;

  /** The target of the last completed grace period (G4). */
  @SuppressWarnings("UnusedVariable") // accessed through COMPLETED
  private volatile long completed = 1L;

  /** Serialises grace periods and registry unlinking. */
  private final ReentrantLock gpLock = new ReentrantLock();

  GracePeriods(
      Rcu domain,
      RcuReaders registry,
      boolean gracePeriodWaits,
      long stallTimeoutNanos,
      RcuStallListener stallListener) {
    this.domain = domain;
    this.registry = registry;
    this.gracePeriodWaits = gracePeriodWaits;
    this.stallTimeoutNanos = stallTimeoutNanos;
    this.stallListener = stallListener;
  }

  /** {@code completed} with acquire: pairs with G4. */
  long completed() {
    return (long) COMPLETED.getAcquire(this);
  }

  /** {@code get_state_synchronize_rcu()}: P0, then the cookie {@code epoch + 1}. Never blocks. */
  long pollState() {
    // As get_state_synchronize_rcu()'s smp_mb(): the caller's earlier stores (the removal, U1)
    // must be ordered before this load, or a grace period that starts after the load could miss a
    // reader that still sees the old data (see the notes, "shared grace periods").
    VarHandle.fullFence();
    return (long) Rcu.EPOCH.getVolatile(domain) + 1L;
  }

  /** {@code poll_state_synchronize_rcu()}; see {@link Rcu#pollStateSynchronized(long)}. */
  boolean pollStateSynchronized(long cookie) {
    long cur = (long) Rcu.EPOCH.getVolatile(domain);
    if (cookie < 2L || cookie > cur + 1L) {
      throw new IllegalArgumentException(
          "pollStateSynchronized: cookie " + cookie + " was not returned by pollState()");
    }
    if (completed() >= cookie) {
      return true;
    }
    if (!gpLock.tryLock()) {
      return false;
    }
    try {
      if (completed() >= cookie) {
        return true;
      }
      return runGracePeriod(Math.max(cookie, (long) Rcu.EPOCH.getVolatile(domain)), false);
    } finally {
      gpLock.unlock();
    }
  }

  /**
   * Waits until a grace period with target at least {@code cookie} has completed, running one if
   * needed. Context: not inside a read section of the domain (the callers check); may block.
   */
  void awaitGracePeriod(long cookie) {
    if (completed() >= cookie) {
      return;
    }
    gpLock.lock();
    try {
      if (completed() >= cookie) {
        return; // a grace period that began after our call has ended meanwhile
      }
      long target = (long) Rcu.EPOCH.getVolatile(domain) + 1L;
      runGracePeriod(target, true);
    } finally {
      gpLock.unlock();
    }
  }

  /**
   * Steps G1-G4 with {@code gpLock} held. Starts a grace period with the given target (if the epoch
   * is not there yet) and checks every reader.
   *
   * @param mayBlock whether to wait for readers; if false, returns false at the first reader still
   *     inside a section that began before
   * @return true if the grace period completed
   */
  private boolean runGracePeriod(long target, boolean mayBlock) {
    if ((long) Rcu.EPOCH.getVolatile(domain) < target) {
      Rcu.EPOCH.setVolatile(domain, target); // G1
    }
    VarHandle.fullFence(); // G2: pairs with the readers' R3
    if (gracePeriodWaits && !awaitReaders(target, mayBlock)) {
      return false;
    }
    if (completed() < target) {
      COMPLETED.setRelease(this, target); // G4
    }
    return true;
  }

  /** G3: walks the registry; unlinks dead records; waits for (or reports) pre-existing readers. */
  private boolean awaitReaders(long target, boolean mayBlock) {
    long start = 0L;
    Rcu.Reader pred = null;
    Rcu.Reader r = registry.first();
    boolean interrupted = false;
    try {
      while (r != null) {
        Rcu.Reader next = r.next;
        int spins = 0;
        long parkNanos = MIN_PARK_NANOS;
        long nextReport = stallTimeoutNanos;
        boolean dead;
        while (true) {
          long w = (long) Rcu.Reader.WORD.getAcquire(r); // G3: pairs with R2 and R4
          dead = !r.owner.isAlive();
          if (dead && w != 0L) {
            report(r.owner, start == 0L ? 0L : System.nanoTime() - start, true);
          }
          if (dead || w == 0L || w >= target) {
            break;
          }
          if (!mayBlock) {
            return false; // the epoch stays advanced; later grace periods accept that
          }
          if (spins < SPIN_TRIES) {
            spins++;
            Thread.onSpinWait();
          } else {
            if (start == 0L) {
              start = System.nanoTime();
            }
            long waited = System.nanoTime() - start;
            if (waited >= nextReport) {
              report(r.owner, waited, false);
              nextReport += stallTimeoutNanos;
            }
            LockSupport.parkNanos(domain, parkNanos);
            parkNanos = Math.min(parkNanos * 2, MAX_PARK_NANOS);
            if (Thread.interrupted()) {
              interrupted = true; // keep waiting; restored below
            }
          }
        }
        if (dead) {
          registry.unlink(pred, r, next);
        } else {
          pred = r;
        }
        r = next;
      }
      registry.swept();
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The registration-time sweep: unlinks dead records if no grace period is running, else leaves
   * them to it. Never blocks.
   */
  void trySweepDeadReaders() {
    if (gpLock.tryLock()) {
      try {
        sweepDeadReaders();
      } finally {
        gpLock.unlock();
      }
    }
  }

  /** Unlinks dead records, reporting those that died inside a section. gpLock held. */
  private void sweepDeadReaders() {
    Rcu.Reader pred = null;
    Rcu.Reader r = registry.first();
    while (r != null) {
      Rcu.Reader next = r.next;
      if (!r.owner.isAlive()) {
        if ((long) Rcu.Reader.WORD.getAcquire(r) != 0L) {
          report(r.owner, 0L, true);
        }
        registry.unlink(pred, r, next);
      } else {
        pred = r;
      }
      r = next;
    }
    registry.swept();
  }

  private void report(Thread reader, long waitedNanos, boolean died) {
    Duration waited = Duration.ofNanos(waitedNanos);
    RcuStallListener l = stallListener;
    if (l != null) {
      try {
        l.onStall(reader, waited, died);
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "RCU stall listener threw", e);
      }
      return;
    }
    if (died) {
      LOG.log(
          System.Logger.Level.WARNING,
          "RCU: thread \"{0}\" (id {1}) died inside a read-side critical section of domain {2};"
              + " its section is treated as ended",
          reader.getName(),
          reader.getId(),
          domain.id);
    } else {
      StringBuilder sb = new StringBuilder();
      for (StackTraceElement e : reader.getStackTrace()) {
        sb.append("\n\tat ").append(e);
      }
      LOG.log(
          System.Logger.Level.WARNING,
          "RCU stall: a grace period of domain {0} has waited {1} ms for thread \"{2}\" (id {3}),"
              + " still in a read-side critical section; still waiting{4}",
          domain.id,
          waited.toMillis(),
          reader.getName(),
          reader.getId(),
          sb);
    }
  }

  private static final VarHandle COMPLETED;

  static {
    try {
      COMPLETED = MethodHandles.lookup().findVarHandle(GracePeriods.class, "completed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
