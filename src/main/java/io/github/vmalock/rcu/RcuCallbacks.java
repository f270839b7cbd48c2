package io.github.vmalock.rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The deferred callbacks of one {@link Rcu} domain ({@code call_rcu()}, {@code rcu_barrier()};
 * {@code kernel/rcu/tree.c}): the queue, the reclaimer thread or the inline mode that runs them,
 * the barrier, error reporting, and the drain on close.
 *
 * <p>Package-private: {@link Rcu#callRcu(Runnable)}, {@link Rcu#barrier()} and {@link Rcu#close()}
 * are the public API and delegate here (after the façade's read-section and global-domain checks);
 * the grace periods the callbacks wait for are {@link GracePeriods}'.
 */
final class RcuCallbacks {
  /*
   * Implementation notes.
   *
   * The queue. callRcu() queues the callback with the cookie GracePeriods.pollState() returns (a
   * full fence, P0 in GracePeriods' notes, then epoch + 1): the callback may run once a grace
   * period whose G1 came after that read has completed, that is once `completed` >= cookie. The
   * queue is one ConcurrentLinkedQueue, so cookies are non-decreasing from head to tail up to
   * races between concurrent callers, and callbacks run in queue order: a callback whose grace
   * period has ended waits behind an earlier one whose grace period has not. The ready check reads
   * `completed` with acquire (GracePeriods.completed(), pairing with G4), so a callback sees
   * everything the readers it waited for did in their sections. The queue's own add/poll give
   * the callback's creation a happens-before edge to its run on another thread.
   *
   * Who runs them. By default the domain's daemon reclaimer thread, started by the first
   * enqueue (a CAS on `reclaimer`, so exactly one starts) and unparked by every enqueue: it
   * waits for the grace period of the head's cookie, then runs every callback that grace period
   * satisfied. In the no-background-thread mode (Builder.reclaimerThread(false)) they run on the
   * caller's thread inside synchronize() and barrier() (runInlineCallbacks()), serialised by
   * callbackRunLock so that queue order holds across concurrent callers.
   *
   * rcu_barrier(). With a reclaimer, barrier() queues a marker (a Callback with a latch and no
   * action) behind everything queued before it and waits for the latch: the reclaimer counts it
   * down in queue order, after every earlier callback has run. Called on the reclaimer itself it
   * would wait for itself, so it throws. In the inline mode it is synchronize(): one grace period
   * for every callback queued so far, then the run.
   *
   * Errors. A callback that throws is reported to the domain's error handler (default: logged at
   * ERROR) and the next one runs; a handler that throws is logged with the callback's exception
   * suppressed. A callback that returns inside a read-side section of the running thread would
   * hold up every later grace period and could make the reclaimer wait for itself: the section is
   * ended (nest = 0, R4's release store of 0) and reported as an IllegalStateException.
   *
   * close(). `closed` is volatile. enqueue() checks it, adds, then checks again and takes its own
   * callback back out if close() ran in between, so a callback is either refused or drained,
   * never lost: close() sets `closed`, wakes and joins the reclaimer (which exits when it finds
   * the queue empty and `closed` set), then runs whatever is still queued, each after its grace
   * period, on the closing thread.
   */

  private static final System.Logger LOG = System.getLogger(Rcu.class.getName());

  private record Callback(long cookie, Runnable action, CountDownLatch barrier) {}

  /**
   * The domain: its id names the thread, it is the parking blocker, it gives the caller's record.
   */
  private final Rcu domain;

  private final GracePeriods gracePeriods;
  private final boolean useReclaimerThread;
  private final Consumer<? super Throwable> callbackErrorHandler;

  private final ConcurrentLinkedQueue<Callback> callbacks = new ConcurrentLinkedQueue<>();

  /** Serialises callback invocation in the no-background-thread mode, keeping queue order. */
  private final ReentrantLock callbackRunLock = new ReentrantLock();

  /** The reclaimer thread, once started. */
  @SuppressWarnings("UnusedVariable") // accessed through RECLAIMER
  private volatile Thread reclaimer;

  private volatile boolean closed;

  RcuCallbacks(
      Rcu domain,
      GracePeriods gracePeriods,
      boolean useReclaimerThread,
      Consumer<? super Throwable> callbackErrorHandler) {
    this.domain = domain;
    this.gracePeriods = gracePeriods;
    this.useReclaimerThread = useReclaimerThread;
    this.callbackErrorHandler = callbackErrorHandler;
  }

  boolean isClosed() {
    return closed;
  }

  /** {@code call_rcu()}; see {@link Rcu#callRcu(Runnable)}. {@code callback} is not null. */
  void callRcu(Runnable callback) {
    enqueue(new Callback(gracePeriods.pollState(), callback, null), "callRcu()");
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
   * In the no-background-thread mode, runs the callbacks whose grace period has ended (the end of
   * {@link Rcu#synchronize()}); with a reclaimer thread, nothing.
   */
  void runInlineCallbacks() {
    if (!useReclaimerThread) {
      runReadyCallbacks();
    }
  }

  /**
   * {@code rcu_barrier()}; see {@link Rcu#barrier()}. The caller has checked that it is not inside
   * a read section.
   */
  void barrier() {
    if (closed) {
      return; // close() ran every callback and later callRcu() calls throw
    }
    if (!useReclaimerThread) {
      gracePeriods.awaitGracePeriod(gracePeriods.pollState()); // as synchronize()
      runReadyCallbacks();
      return;
    }
    if (Thread.currentThread() == RECLAIMER.getAcquire(this)) {
      throw new IllegalStateException(
          "barrier() called from an RCU callback on the reclaimer thread: it would wait for itself");
    }
    CountDownLatch done = new CountDownLatch(1);
    enqueue(new Callback(gracePeriods.pollState(), null, done), "barrier()");
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
        if (cb == null || gracePeriods.completed() < cb.cookie()) {
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
    Rcu.Reader self = domain.reader();
    if (self.nest > 0) {
      int depth = self.nest;
      self.nest = 0;
      Rcu.Reader.WORD.setRelease(self, 0L); // R4, for the section the callback left open
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

  /** The default callback error handler of {@link Rcu.Builder}. */
  static void logCallbackError(Throwable e) {
    LOG.log(System.Logger.Level.ERROR, "RCU callback threw", e);
  }

  private Thread startReclaimer() {
    Thread t = (Thread) RECLAIMER.getAcquire(this);
    if (t != null) {
      return t;
    }
    Thread nt = new Thread(this::reclaimerLoop, "rcu-reclaimer-" + domain.id);
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
        LockSupport.park(domain);
        Thread.interrupted(); // the reclaimer ignores interrupts
        continue;
      }
      gracePeriods.awaitGracePeriod(first.cookie());
      // one grace period serves every callback queued before it began
      while (true) {
        Callback cb = callbacks.peek();
        if (cb == null || gracePeriods.completed() < cb.cookie()) {
          break;
        }
        callbacks.poll();
        invoke(cb);
      }
    }
  }

  /**
   * Stops the reclaimer and drains the queue; see {@link Rcu#close()}. The caller has checked that
   * the domain is not the global one and that it is not inside a read section.
   */
  void close() {
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
      gracePeriods.awaitGracePeriod(gracePeriods.pollState());
      runReadyCallbacks();
    }
  }

  private static final VarHandle RECLAIMER;

  static {
    try {
      RECLAIMER =
          MethodHandles.lookup().findVarHandle(RcuCallbacks.class, "reclaimer", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
