package io.github.vmalock.rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * An RCU domain: read-side critical sections, grace periods and deferred callbacks, modelling the
 * kernel's {@code rcu_read_lock()}, {@code rcu_read_unlock()}, {@code synchronize_rcu()}, {@code
 * call_rcu()}, {@code rcu_barrier()}, {@code get_state_synchronize_rcu()} and {@code
 * poll_state_synchronize_rcu()} ({@code include/linux/rcupdate.h}, {@code kernel/rcu/tree.c}).
 *
 * <p>Usage:
 *
 * <pre>{@code
 * Rcu rcu = Rcu.global();
 * // reader
 * rcu.readLock();
 * try {
 *   Node n = (Node) HEAD.getAcquire(this);   // rcu_dereference()
 *   use(n);
 * } finally {
 *   rcu.readUnlock();
 * }
 * // updater
 * Node old = (Node) HEAD.getAndSetRelease(this, replacement);   // rcu_assign_pointer()
 * rcu.synchronize();              // no reader can still see old
 * retire(old);                    // or: rcu.callRcu(() -> retire(old));
 * }</pre>
 *
 * <h2>Implementation notes</h2>
 *
 * <p><b>Design.</b> Each thread that uses a domain owns one {@link Reader} record, found through a
 * {@code ThreadLocal} or held directly by the caller (the {@link #reader()} handle). A record has a
 * plain nesting counter {@code nest} (only its owner touches it) and a shared word {@code word}: 0
 * while the owner is outside any section, otherwise the value of the domain's grace-period counter
 * {@code epoch} that the owner read when it entered its outermost section. Records are linked into
 * a registry (a Treiber list: pushes by CAS on {@code head}, unlinking only by the holder of {@code
 * gpLock}). This is liburcu's "memb" flavour with a counter in place of its phase bit, and
 * crossbeam-epoch's "pin" with the global epoch never needing to be unanimous.
 *
 * <p><b>Reader, {@code rcu_read_lock()}.</b> Outermost entry: (R1) read {@code epoch} with acquire;
 * (R2) store it into {@code word}; (R3) {@code VarHandle.fullFence()}. Nested entry only increments
 * {@code nest}. <b>{@code rcu_read_unlock()}:</b> the outermost exit (R4) stores 0 into {@code
 * word} with release; nested exits only decrement {@code nest}. No reader step blocks, spins, or
 * allocates after the thread's first use (which allocates its record).
 *
 * <p><b>Grace period, {@code synchronize_rcu()}.</b> Under {@code gpLock}: (G1) {@code target =
 * epoch + 1}, stored into {@code epoch} with a volatile store; (G2) {@code VarHandle.fullFence()};
 * (G3) for every record, load {@code word} with acquire until it is 0 or at least {@code target} (a
 * section that began after G1), waiting by a bounded spin, then {@code parkNanos} with exponential
 * backoff up to 1 ms; records of dead threads are unlinked on the way; (G4) store {@code completed
 * = target} with release.
 *
 * <p><b>Memory ordering, the argument.</b> The updater's removal store ({@code
 * rcu_assign_pointer()} of the replacement, U1) precedes G1-G3 in program order; the reader's
 * protected loads ({@code rcu_dereference()}, L) follow R2-R3. This is the store-buffer (Dekker)
 * shape: updater "store U1, then load {@code word}" against reader "store {@code word}, then load
 * L". Release/acquire cannot order a store before a later load to another location, so a reader
 * publishing with a release store could have L satisfied before R2 becomes visible: the updater
 * would read {@code word == 0}, end the grace period, and free what the reader is reading (the
 * {@code RELEASE_PUBLICATION} protocol of the test variants does exactly this). The two full fences
 * R3 and G2 are sequentially consistent fences: in their total order either R3 comes first, and
 * then G3's load of {@code word} sees R2 (or a later value of that record), so the updater waits
 * for R4; or G2 comes first, and then L sees U1 (or later), so the reader cannot reach the old
 * object and it does not matter that the updater skipped it. We use a fence rather than a volatile
 * store because the protected loads in this library are acquire loads, not volatile ones: the JMM's
 * "volatile store then volatile load" guarantee covers only volatile loads, while the fence orders
 * R2 before every later load whatever its mode. On x86 both compile to the same {@code mov} plus
 * {@code lock addl}.
 *
 * <p>Exit: R4 (release) pairs with G3's acquire load that reads 0: everything the reader did in its
 * section happens-before the end of the grace period, so an updater may free or overwrite what the
 * reader wrote ({@code RCU+sync+read}). G4 (release) pairs with the acquire load of {@code
 * completed} in {@link #pollStateSynchronized(long)} and the early exit of {@link #synchronize()}.
 * R1 (acquire) pairs with G1: a reader that reads the new {@code epoch} sees U1, so recording
 * {@code target} in its word (and so not being waited for) is safe.
 *
 * <p><b>Shared grace periods.</b> {@link #pollState()} (used by {@link #synchronize()} and {@link
 * #callRcu(Runnable)}) issues a full fence (P0) before it reads {@code epoch}, as the kernel's
 * {@code get_state_synchronize_rcu()} does {@code smp_mb()}. Its cookie is satisfied by any grace
 * period whose G1 comes after that read, possibly run by another thread. A reader that such a grace
 * period skips because it read the new {@code epoch} at R1 read a value written after the caller's
 * fenced read, so in the fence order P0 precedes the reader's R3 and the reader's loads see the
 * caller's U1. Without P0, U1 could still sit in the caller's store buffer when the other thread's
 * grace period ends.
 *
 * <p><b>Why the epoch snapshot.</b> A reader that read the old {@code epoch} at R1 but whose R2 the
 * updater missed (G2 before R3) is harmless, as argued, and later grace periods wait for it (its
 * word is below their target), which is conservative. A reader that keeps entering and leaving
 * short sections cannot starve a grace period: a fresh entry soon reads an {@code epoch} of at
 * least {@code target}, which G3 does not wait for.
 *
 * <p><b>Dead threads.</b> During G3 and registry sweeps, a record whose owner is no longer alive
 * ({@link Thread#isAlive()} false, which happens-after all of the owner's actions) is unlinked. If
 * its word was not 0, the thread died inside a section: it is reported (like a stall) and no longer
 * waited for. A registration sweeps dead records (under {@code tryLock}) once the registry has
 * doubled since the last sweep, so threads coming and going do not grow it without bound, and no
 * {@code System.gc()} is needed.
 *
 * <p><b>Callbacks.</b> {@link #callRcu(Runnable)} queues the callback with the cookie {@link
 * #pollState()} returns; callbacks run in queue order once a grace period that began after their
 * queueing has ended: on the domain's daemon reclaimer thread (started on the first callback), or,
 * in the no-background-thread mode, inside {@link #synchronize()} and {@link #barrier()}. A
 * callback that throws is reported to the domain's error handler and the next one runs.
 *
 * <p><b>Known weak points.</b> Grace-period waits poll with {@code parkNanos} (readers never wake
 * the updater, which would cost them a load on exit), so a grace period that must wait for a long
 * reader ends up to 1 ms after that reader leaves. Grace periods are serialised by {@code gpLock};
 * concurrent {@code synchronize()} calls share a grace period when one began after both were
 * called.
 */
public final class Rcu implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Rcu.class.getName());

  /** Default stall timeout, as the kernel's {@code CONFIG_RCU_CPU_STALL_TIMEOUT} (21 s) scaled. */
  static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(10);

  /** Spins on one reader before yielding, then parking. */
  private static final int SPIN_TRIES = 128;

  private static final long MIN_PARK_NANOS = 1_000L;
  private static final long MAX_PARK_NANOS = 1_000_000L;

  /** Registry sweeps happen once it holds this many records more than after the last sweep. */
  private static final int SWEEP_SLACK = 64;

  private static final AtomicInteger DOMAIN_IDS = new AtomicInteger();

  /** The faithful protocol: every default, nothing overridden. */
  static final RcuProtocol FAITHFUL_PROTOCOL = new RcuProtocol() {};

  private final RcuProtocol protocol;

  /** Whether {@link #protocol} is {@link RcuProtocol#faithful()}: readers run the inline steps. */
  private final boolean faithful;

  /** {@link RcuProtocol#gracePeriodWaits()}, read once at construction. */
  private final boolean gracePeriodWaits;

  /*
   * Implementation notes: the protocol seam.
   *
   * RcuProtocol's steps (the reader's publication R2-R3, the end of a section at R4, the grace
   * period's wait G3) are run inline for the faithful protocol: each Reader keeps a final
   * `protocol` field that is null for a faithful domain, so rcu_read_lock()/rcu_read_unlock() test
   * one final field the handle already holds and never make an interface call; a grace period
   * tests the final `gracePeriodWaits`, read once at construction. Reader is one final class (no
   * per-protocol subclass), so the read-side call sites stay monomorphic whatever protocol other
   * domains in the same JVM run. RcuProtocol's default methods repeat the faithful steps for
   * domains given another instance; change both together.
   */

  private final boolean useReclaimerThread;
  private final long stallTimeoutNanos;
  private final RcuStallListener stallListener;
  private final Consumer<? super Throwable> callbackErrorHandler;
  private final boolean isGlobal;
  private final int id;

  /** Grace-period counter; readers snapshot it (R1), grace periods advance it (G1). */
  @SuppressWarnings("UnusedVariable") // accessed through EPOCH
  private volatile long epoch = 1L;

  /** The target of the last completed grace period (G4). */
  @SuppressWarnings("UnusedVariable") // accessed through COMPLETED
  private volatile long completed = 1L;

  /** Head of the registry of reader records. */
  @SuppressWarnings("UnusedVariable") // accessed through HEAD
  private volatile Reader head;

  /** Records in the registry (approximate between sweeps). */
  private final AtomicInteger registered = new AtomicInteger();

  /** Registry size after the last sweep; guarded by gpLock for writes. */
  private volatile int liveAfterSweep;

  /** Serialises grace periods and registry unlinking. */
  private final ReentrantLock gpLock = new ReentrantLock();

  private final ThreadLocal<Reader> readers = ThreadLocal.withInitial(this::register);

  private final ConcurrentLinkedQueue<Callback> callbacks = new ConcurrentLinkedQueue<>();

  /** Serialises callback invocation in the no-background-thread mode, keeping queue order. */
  private final ReentrantLock callbackRunLock = new ReentrantLock();

  /** The reclaimer thread, once started. */
  @SuppressWarnings("UnusedVariable") // accessed through RECLAIMER
  private volatile Thread reclaimer;

  private volatile boolean closed;

  /** Creates a domain with the defaults of {@link #builder()}. */
  public Rcu() {
    this(new Builder(), false);
  }

  private Rcu(Builder b, boolean isGlobal) {
    this.protocol = b.protocol;
    this.faithful = b.protocol == FAITHFUL_PROTOCOL;
    this.gracePeriodWaits = b.protocol.gracePeriodWaits();
    this.useReclaimerThread = b.reclaimerThread;
    this.stallTimeoutNanos = b.stallTimeout.toNanos();
    this.stallListener = b.stallListener;
    this.callbackErrorHandler = b.callbackErrorHandler;
    this.isGlobal = isGlobal;
    this.id = DOMAIN_IDS.incrementAndGet();
  }

  private static final class GlobalHolder {
    static final Rcu GLOBAL = new Rcu(new Builder(), true);
  }

  /**
   * The shared default domain (the kernel has one RCU). Its reclaimer thread is a daemon, so it
   * never holds the JVM open; it cannot be closed.
   *
   * @return the global domain, built with the defaults of {@link #builder()}
   */
  public static Rcu global() {
    return GlobalHolder.GLOBAL;
  }

  /**
   * A builder for a domain with non-default settings.
   *
   * @return a new builder with the defaults: {@link RcuProtocol#faithful()}, a reclaimer thread, a
   *     10 s stall timeout, stall reports and callback errors logged through {@link System.Logger}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The protocol this domain runs.
   *
   * @return the protocol given to {@link Builder#protocol(RcuProtocol)}, or {@link
   *     RcuProtocol#faithful()}
   */
  public RcuProtocol protocol() {
    return protocol;
  }

  // ---------------------------------------------------------------------------------------------
  // Readers

  /**
   * Enters a read-side critical section ({@code rcu_read_lock()}). Sections nest: only the
   * outermost one is seen by grace periods.
   *
   * <p>Context: any thread, any lock held. Never blocks, never spins; allocates only on the
   * thread's first use of this domain. On return the calling thread is inside a section.
   *
   * @throws IllegalStateException if the nesting depth would overflow
   */
  public void readLock() {
    readers.get().enter();
  }

  /**
   * Leaves a read-side critical section ({@code rcu_read_unlock()}). The outermost unlock ends the
   * section.
   *
   * <p>Context: the calling thread must be inside a section of this domain. Never blocks.
   *
   * @throws IllegalStateException if the calling thread is not inside a section (the state is left
   *     unchanged)
   */
  public void readUnlock() {
    readers.get().exit();
  }

  /**
   * Whether the calling thread is inside a read-side critical section of this domain ({@code
   * rcu_read_lock_held()}).
   *
   * @return true if inside a section, false otherwise
   */
  public boolean isReadLocked() {
    return readers.get().nest > 0;
  }

  /**
   * The calling thread's reader handle: the same record {@link #readLock()} uses, so the two nest
   * together, without the {@code ThreadLocal} lookup. The handle is confined to the calling thread;
   * its methods throw {@link IllegalStateException} on any other thread.
   *
   * @return the calling thread's handle for this domain (the same object on every call)
   */
  public Reader reader() {
    return readers.get();
  }

  private Reader register() {
    Thread t = Thread.currentThread();
    Reader r = new Reader(this, t);
    Reader h;
    do {
      h = (Reader) HEAD.getAcquire(this);
      r.next = h;
    } while (!HEAD.compareAndSet(this, h, r));
    int n = registered.incrementAndGet();
    if (n > 2 * liveAfterSweep + SWEEP_SLACK && gpLock.tryLock()) {
      try {
        sweepDeadReaders();
      } finally {
        gpLock.unlock();
      }
    }
    return r;
  }

  /** Number of records in the registry (for tests). */
  int registrySize() {
    int n = 0;
    for (Reader r = (Reader) HEAD.getAcquire(this); r != null; r = r.next) {
      n++;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Grace periods

  /**
   * Waits for a grace period ({@code synchronize_rcu()}): returns only after every read-side
   * critical section that began before the call has ended. In the no-background-thread mode it then
   * runs the callbacks whose grace period has ended.
   *
   * <p>Context: must not be called inside a read-side critical section of this domain. May block
   * (bounded spin, then parking); keeps waiting across interrupts and restores the interrupt status
   * on return. A reader that stays longer than the stall timeout is reported and still waited for;
   * a reader whose thread died inside its section is reported and no longer waited for.
   *
   * @throws IllegalStateException if the calling thread is inside a read-side critical section
   */
  public void synchronize() {
    assertNotInReadSection("synchronize()");
    awaitGracePeriod(pollState());
    if (!useReclaimerThread) {
      runReadyCallbacks();
    }
  }

  /**
   * A cookie for {@link #pollStateSynchronized(long)} ({@code get_state_synchronize_rcu()}).
   *
   * <p>Context: any thread, also inside a read-side critical section. Never blocks.
   *
   * @return a cookie naming the first grace period that begins after this call
   */
  public long pollState() {
    // As get_state_synchronize_rcu()'s smp_mb(): the caller's earlier stores (the removal, U1)
    // must be ordered before this load, or a grace period that starts after the load could miss a
    // reader that still sees the old data (see the overview, "shared grace periods").
    VarHandle.fullFence();
    return (long) EPOCH.getVolatile(this) + 1L;
  }

  /**
   * Whether a grace period that began after the {@link #pollState()} call returning {@code cookie}
   * has ended ({@code poll_state_synchronize_rcu()}). If not, and no grace period is running, it
   * starts one and checks the readers once itself, without waiting for any of them.
   *
   * <p>Context: any thread; never blocks (it only try-locks the grace-period lock). Inside a read
   * section that began before the cookie was taken it keeps returning false.
   *
   * @param cookie a value returned by {@link #pollState()} on this domain
   * @return true once the grace period has ended; false if it has not ended yet
   * @throws IllegalArgumentException if {@code cookie} was never returned by {@link #pollState()}
   *     of this domain (it is beyond the next grace period)
   */
  public boolean pollStateSynchronized(long cookie) {
    long cur = (long) EPOCH.getVolatile(this);
    if (cookie < 2L || cookie > cur + 1L) {
      throw new IllegalArgumentException(
          "pollStateSynchronized: cookie " + cookie + " was not returned by pollState()");
    }
    if ((long) COMPLETED.getAcquire(this) >= cookie) {
      return true;
    }
    if (!gpLock.tryLock()) {
      return false;
    }
    try {
      if ((long) COMPLETED.getAcquire(this) >= cookie) {
        return true;
      }
      return runGracePeriod(Math.max(cookie, (long) EPOCH.getVolatile(this)), false);
    } finally {
      gpLock.unlock();
    }
  }

  /**
   * Waits until a grace period with target at least {@code cookie} has completed, running one if
   * needed.
   */
  private void awaitGracePeriod(long cookie) {
    if ((long) COMPLETED.getAcquire(this) >= cookie) {
      return;
    }
    gpLock.lock();
    try {
      if ((long) COMPLETED.getAcquire(this) >= cookie) {
        return; // a grace period that began after our call has ended meanwhile
      }
      long target = (long) EPOCH.getVolatile(this) + 1L;
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
    if ((long) EPOCH.getVolatile(this) < target) {
      EPOCH.setVolatile(this, target); // G1
    }
    VarHandle.fullFence(); // G2: pairs with the readers' R3
    if (gracePeriodWaits && !awaitReaders(target, mayBlock)) {
      return false;
    }
    if ((long) COMPLETED.getAcquire(this) < target) {
      COMPLETED.setRelease(this, target); // G4
    }
    return true;
  }

  /** G3: walks the registry; unlinks dead records; waits for (or reports) pre-existing readers. */
  private boolean awaitReaders(long target, boolean mayBlock) {
    long start = 0L;
    Reader pred = null;
    Reader r = (Reader) HEAD.getAcquire(this);
    boolean interrupted = false;
    try {
      while (r != null) {
        Reader next = r.next;
        int spins = 0;
        long parkNanos = MIN_PARK_NANOS;
        long nextReport = stallTimeoutNanos;
        boolean dead;
        while (true) {
          long w = (long) Reader.WORD.getAcquire(r); // G3: pairs with R2 and R4
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
            LockSupport.parkNanos(this, parkNanos);
            parkNanos = Math.min(parkNanos * 2, MAX_PARK_NANOS);
            if (Thread.interrupted()) {
              interrupted = true; // keep waiting; restored below
            }
          }
        }
        if (dead) {
          unlink(pred, r, next);
        } else {
          pred = r;
        }
        r = next;
      }
      liveAfterSweep = registered.get();
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Unlinks dead records, reporting those that died inside a section. gpLock held. */
  private void sweepDeadReaders() {
    Reader pred = null;
    Reader r = (Reader) HEAD.getAcquire(this);
    while (r != null) {
      Reader next = r.next;
      if (!r.owner.isAlive()) {
        if ((long) Reader.WORD.getAcquire(r) != 0L) {
          report(r.owner, 0L, true);
        }
        unlink(pred, r, next);
      } else {
        pred = r;
      }
      r = next;
    }
    liveAfterSweep = registered.get();
  }

  /**
   * Removes {@code r} (whose successor is {@code next}) from the registry; gpLock held. Interior
   * records are unlinked with a plain store (only gpLock holders follow {@code next} past a record
   * they did not push); the head is unlinked by CAS, and left for the next sweep if a concurrent
   * registration pushed in front of it.
   */
  private void unlink(Reader pred, Reader r, Reader next) {
    if (pred != null) {
      pred.next = next;
      registered.decrementAndGet();
    } else if (HEAD.compareAndSet(this, r, next)) {
      registered.decrementAndGet();
    }
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
          id);
    } else {
      StringBuilder sb = new StringBuilder();
      for (StackTraceElement e : reader.getStackTrace()) {
        sb.append("\n\tat ").append(e);
      }
      LOG.log(
          System.Logger.Level.WARNING,
          "RCU stall: a grace period of domain {0} has waited {1} ms for thread \"{2}\" (id {3}),"
              + " still in a read-side critical section; still waiting{4}",
          id,
          waited.toMillis(),
          reader.getName(),
          reader.getId(),
          sb);
    }
  }

  private void assertNotInReadSection(String what) {
    if (readers.get().nest > 0) {
      throw new IllegalStateException(
          what
              + " called inside a read-side critical section of this domain (nesting depth "
              + readers.get().nest
              + "): it would wait for itself");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Callbacks

  private record Callback(long cookie, Runnable action, CountDownLatch barrier) {}

  /**
   * Queues {@code callback} to run after a grace period ({@code call_rcu()}): it runs once every
   * read-side critical section that began before this call has ended, after the callbacks queued
   * before it, and never inside a read section of the thread that runs it.
   *
   * <p>Context: any thread, also inside a read-side critical section. Never blocks. Callbacks run
   * on the domain's reclaimer thread, or in the no-background-thread mode inside later {@link
   * #synchronize()} and {@link #barrier()} calls. A callback that throws is reported to the
   * domain's callback error handler; later callbacks still run.
   *
   * @param callback the work to defer
   * @throws NullPointerException if {@code callback} is null
   * @throws IllegalStateException if the domain is closed
   */
  public void callRcu(Runnable callback) {
    Objects.requireNonNull(callback, "callRcu: callback is null");
    enqueue(new Callback(pollState(), callback, null), "callRcu()");
  }

  private void enqueue(Callback cb, String what) {
    if (closed) {
      throw new IllegalStateException(what + " on a closed RCU domain");
    }
    callbacks.add(cb);
    if (closed && callbacks.remove(cb)) {
      throw new IllegalStateException(what + " on a closed RCU domain");
    }
    if (useReclaimerThread) {
      LockSupport.unpark(startReclaimer());
    }
  }

  /**
   * Waits until every callback queued before the call has run ({@code rcu_barrier()}).
   *
   * <p>Context: not inside a read-side critical section, not from a callback running on the
   * reclaimer thread. May block; keeps waiting across interrupts and restores the interrupt status.
   *
   * @throws IllegalStateException if called inside a read-side critical section or from the
   *     domain's reclaimer thread, or if the domain is closed (and its queue already drained)
   */
  public void barrier() {
    assertNotInReadSection("barrier()");
    if (closed) {
      return; // close() ran every callback and later callRcu() calls throw
    }
    if (!useReclaimerThread) {
      synchronize();
      return;
    }
    if (Thread.currentThread() == RECLAIMER.getAcquire(this)) {
      throw new IllegalStateException(
          "barrier() called from an RCU callback on the reclaimer thread: it would wait for itself");
    }
    CountDownLatch done = new CountDownLatch(1);
    enqueue(new Callback(pollState(), null, done), "barrier()");
    awaitUninterruptibly(done);
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs, in queue order, the callbacks whose grace period has ended. */
  private void runReadyCallbacks() {
    callbackRunLock.lock();
    try {
      while (true) {
        Callback cb = callbacks.peek();
        if (cb == null || (long) COMPLETED.getAcquire(this) < cb.cookie()) {
          return;
        }
        if (callbacks.poll() != cb) {
          throw new AssertionError("RCU callback queue consumed concurrently");
        }
        invoke(cb);
      }
    } finally {
      callbackRunLock.unlock();
    }
  }

  private void invoke(Callback cb) {
    if (cb.barrier() != null) {
      cb.barrier().countDown();
      return;
    }
    try {
      cb.action().run();
    } catch (RuntimeException | Error e) {
      reportCallbackError(e);
    }
    Reader self = readers.get();
    if (self.nest > 0) {
      int depth = self.nest;
      self.nest = 0;
      Reader.WORD.setRelease(self, 0L);
      reportCallbackError(
          new IllegalStateException(
              "RCU callback "
                  + cb.action()
                  + " returned inside a read-side critical section (nesting depth "
                  + depth
                  + "); the section was ended"));
    }
  }

  private void reportCallbackError(Throwable e) {
    try {
      callbackErrorHandler.accept(e);
    } catch (RuntimeException | Error e2) {
      e2.addSuppressed(e);
      LOG.log(System.Logger.Level.ERROR, "RCU callback error handler threw", e2);
    }
  }

  private static void logCallbackError(Throwable e) {
    LOG.log(System.Logger.Level.ERROR, "RCU callback threw", e);
  }

  private Thread startReclaimer() {
    Thread t = (Thread) RECLAIMER.getAcquire(this);
    if (t != null) {
      return t;
    }
    Thread nt = new Thread(this::reclaimerLoop, "rcu-reclaimer-" + id);
    nt.setDaemon(true);
    Thread witness = (Thread) RECLAIMER.compareAndExchange(this, (Thread) null, nt);
    if (witness != null) {
      return witness;
    }
    nt.start();
    return nt;
  }

  private void reclaimerLoop() {
    while (true) {
      Callback first = callbacks.peek();
      if (first == null) {
        if (closed) {
          return;
        }
        LockSupport.park(this);
        Thread.interrupted(); // the reclaimer ignores interrupts
        continue;
      }
      awaitGracePeriod(first.cookie());
      // one grace period serves every callback queued before it began
      while (true) {
        Callback cb = callbacks.peek();
        if (cb == null || (long) COMPLETED.getAcquire(this) < cb.cookie()) {
          break;
        }
        callbacks.poll();
        invoke(cb);
      }
    }
  }

  /**
   * Runs every pending callback (after the grace period each needs) and stops the reclaimer thread.
   * Later {@link #callRcu(Runnable)} calls throw; readers and {@link #synchronize()} keep working.
   * Idempotent.
   *
   * <p>Context: not inside a read-side critical section, not from a callback. May block.
   *
   * @throws IllegalStateException if called inside a read-side critical section or from the
   *     reclaimer thread
   * @throws UnsupportedOperationException on {@link #global()}
   */
  @Override
  public void close() {
    if (isGlobal) {
      throw new UnsupportedOperationException("the global RCU domain cannot be closed");
    }
    assertNotInReadSection("close()");
    Thread t = (Thread) RECLAIMER.getAcquire(this);
    if (Thread.currentThread() == t) {
      throw new IllegalStateException(
          "close() called from an RCU callback on the reclaimer thread");
    }
    closed = true;
    if (t != null) {
      LockSupport.unpark(t);
      boolean interrupted = false;
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    while (!callbacks.isEmpty()) {
      awaitGracePeriod(pollState());
      runReadyCallbacks();
    }
  }

  @Override
  public String toString() {
    return "Rcu[id="
        + id
        + (faithful ? "" : ", protocol=" + protocol)
        + ", epoch="
        + (long) EPOCH.getVolatile(this)
        + ", completed="
        + (long) COMPLETED.getVolatile(this)
        + ", readers="
        + registered.get()
        + (closed ? ", closed" : "")
        + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Reader records

  /**
   * A thread's reader record and handle: {@code rcu_read_lock()} / {@code rcu_read_unlock()}
   * without the {@code ThreadLocal} lookup. Obtained from {@link Rcu#reader()}; confined to the
   * thread that obtained it. Sections entered through the handle and through {@link Rcu#readLock()}
   * nest together.
   */
  public static final class Reader {
    final Rcu domain;
    final Thread owner;

    /** The domain's protocol when it is not the faithful one, else null (inline steps). */
    private final RcuProtocol protocol;

    /** Nesting depth; read and written only by {@link #owner}. */
    int nest;

    /** 0 outside a section, else the epoch read at outermost entry; through WORD. */
    @SuppressWarnings("UnusedVariable") // accessed through WORD
    private volatile long word;

    /** Registry link; see {@link Rcu#unlink}. */
    Reader next;

    Reader(Rcu domain, Thread owner) {
      this.domain = domain;
      this.owner = owner;
      this.protocol = domain.faithful ? null : domain.protocol;
    }

    /**
     * R2 as the faithful reader does it: an opaque store of {@code epoch} to this record's word,
     * which the grace period's G3 reads. For {@link RcuProtocol#publishEntry}; the owning thread
     * only, outside a section.
     *
     * @param epoch the epoch read at R1
     */
    public void publishOpaque(long epoch) {
      checkOwner();
      WORD.setOpaque(this, epoch);
    }

    /**
     * R2 with a release store instead of the opaque store: no StoreLoad ordering by itself. For
     * {@link RcuProtocol#publishEntry}; the owning thread only, outside a section.
     *
     * @param epoch the epoch read at R1
     */
    public void publishRelease(long epoch) {
      checkOwner();
      WORD.setRelease(this, epoch);
    }

    /**
     * Enters a read-side critical section ({@code rcu_read_lock()}); see {@link Rcu#readLock()}.
     *
     * <p>Context: the owning thread. Never blocks or spins; allocates nothing.
     *
     * @throws IllegalStateException if called on another thread than the owner, or if the nesting
     *     depth would overflow
     */
    public final void lock() {
      checkOwner();
      enter();
    }

    /**
     * Leaves a read-side critical section ({@code rcu_read_unlock()}); see {@link
     * Rcu#readUnlock()}.
     *
     * <p>Context: the owning thread, inside a section. Never blocks.
     *
     * @throws IllegalStateException if called on another thread than the owner, or outside a
     *     section (the state is left unchanged)
     */
    public final void unlock() {
      checkOwner();
      exit();
    }

    /**
     * Whether the owning thread is inside a read-side critical section ({@code
     * rcu_read_lock_held()}).
     *
     * @return true if inside a section
     * @throws IllegalStateException if called on another thread than the owner
     */
    public final boolean isLocked() {
      checkOwner();
      return nest > 0;
    }

    /**
     * The domain this handle belongs to.
     *
     * @return the domain
     */
    public final Rcu domain() {
      return domain;
    }

    private void checkOwner() {
      if (owner != Thread.currentThread()) {
        throw wrongThread();
      }
    }

    private IllegalStateException wrongThread() {
      return new IllegalStateException(
          "RCU reader handle of thread \""
              + owner.getName()
              + "\" used on thread \""
              + Thread.currentThread().getName()
              + "\": handles are thread-confined");
    }

    /** R1-R3 on outermost entry ({@link RcuProtocol#publishEntry} when not faithful). */
    private void enter() {
      int n = nest;
      if (n == 0) {
        long e = (long) EPOCH.getAcquire(domain); // R1: pairs with G1
        RcuProtocol p = protocol;
        if (p == null) {
          WORD.setOpaque(this, e); // R2
          VarHandle.fullFence(); // R3: pairs with G2 (store-buffer shape, see overview)
        } else {
          p.publishEntry(this, e);
        }
      } else if (n == Integer.MAX_VALUE) {
        throw overflow();
      }
      nest = n + 1;
    }

    /** R4 on outermost exit ({@link RcuProtocol#unlockEndsSection} when not faithful). */
    private void exit() {
      int n = nest;
      if (n <= 0) {
        throw unbalanced();
      }
      nest = n - 1;
      RcuProtocol p = protocol;
      if (p == null ? n == 1 : p.unlockEndsSection(n)) {
        WORD.setRelease(this, 0L); // R4: pairs with G3's acquire load
      }
    }

    final IllegalStateException overflow() {
      return new IllegalStateException(
          "rcu_read_lock nesting depth overflow (" + nest + ") on " + owner.getName());
    }

    final IllegalStateException unbalanced() {
      return new IllegalStateException(
          "readUnlock() without a matching readLock() on thread \""
              + owner.getName()
              + "\" (nesting depth "
              + nest
              + ")");
    }

    @Override
    public String toString() {
      return "Rcu.Reader[" + owner.getName() + ", nest=" + nest + "]";
    }

    static final VarHandle WORD;

    static {
      try {
        WORD = MethodHandles.lookup().findVarHandle(Reader.class, "word", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Builder

  /**
   * Builds a domain with non-default settings. Not thread-safe; each {@link #build()} returns a new
   * domain.
   */
  public static final class Builder {
    private RcuProtocol protocol = FAITHFUL_PROTOCOL;
    private boolean reclaimerThread = true;
    private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
    private RcuStallListener stallListener;
    private Consumer<? super Throwable> callbackErrorHandler = Rcu::logCallbackError;

    Builder() {}

    /**
     * The implementation of the replaceable steps (default: {@link RcuProtocol#faithful()}, which
     * runs inline).
     *
     * @param protocol the protocol
     * @return this builder
     * @throws IllegalArgumentException if {@code protocol} is null
     */
    public Builder protocol(RcuProtocol protocol) {
      if (protocol == null) {
        throw new IllegalArgumentException("protocol is null");
      }
      this.protocol = protocol;
      return this;
    }

    /**
     * Whether callbacks run on a background daemon thread (the default, true), or, if false, inside
     * {@link Rcu#synchronize()} and {@link Rcu#barrier()} on the calling thread (for deterministic
     * tests and model checkers).
     *
     * @param enabled true for a reclaimer thread
     * @return this builder
     */
    public Builder reclaimerThread(boolean enabled) {
      this.reclaimerThread = enabled;
      return this;
    }

    /**
     * How long a grace period waits for one reader before reporting a stall (default 10 s).
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is null, zero or negative
     */
    public Builder stallTimeout(Duration timeout) {
      if (timeout == null || timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("stallTimeout must be positive, got " + timeout);
      }
      this.stallTimeout = timeout;
      return this;
    }

    /**
     * Where stall reports go instead of the {@link System.Logger} named after {@link Rcu}.
     *
     * @param listener the listener
     * @return this builder
     * @throws IllegalArgumentException if {@code listener} is null
     */
    public Builder stallListener(RcuStallListener listener) {
      if (listener == null) {
        throw new IllegalArgumentException("stallListener is null");
      }
      this.stallListener = listener;
      return this;
    }

    /**
     * Where exceptions thrown by callbacks go (default: logged at ERROR through {@link
     * System.Logger}). Called on the thread that ran the callback.
     *
     * @param handler the handler
     * @return this builder
     * @throws IllegalArgumentException if {@code handler} is null
     */
    public Builder callbackErrorHandler(Consumer<? super Throwable> handler) {
      if (handler == null) {
        throw new IllegalArgumentException("callbackErrorHandler is null");
      }
      this.callbackErrorHandler = handler;
      return this;
    }

    /**
     * Builds the domain.
     *
     * @return a new domain with this builder's settings
     */
    public Rcu build() {
      return new Rcu(this, false);
    }
  }

  private static final VarHandle EPOCH;
  private static final VarHandle COMPLETED;
  private static final VarHandle HEAD;
  private static final VarHandle RECLAIMER;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      EPOCH = l.findVarHandle(Rcu.class, "epoch", long.class);
      COMPLETED = l.findVarHandle(Rcu.class, "completed", long.class);
      HEAD = l.findVarHandle(Rcu.class, "head", Reader.class);
      RECLAIMER = l.findVarHandle(Rcu.class, "reclaimer", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
