package io.github.vmalock.rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An RCU domain: read-side critical sections, grace periods and deferred callbacks, modelling the
 * kernel's {@code rcu_read_lock()}, {@code rcu_read_unlock()}, {@code synchronize_rcu()}, {@code
 * call_rcu()}, {@code rcu_barrier()}, {@code get_state_synchronize_rcu()} and {@code
 * poll_state_synchronize_rcu()} ({@code include/linux/rcupdate.h}, {@code kernel/rcu/tree.c}).
 *
 * <p>The guarantee: a grace period ({@link #synchronize()}, the wait behind a {@link
 * #callRcu(Runnable)} callback, a {@link #pollState()} cookie that {@link
 * #pollStateSynchronized(long)} reports done) ends only after every read-side critical section that
 * began before it has ended. So an updater that unpublishes an object with a release store (or
 * stronger) and then waits for a grace period knows that no reader still holds it, and everything
 * those readers did inside their sections happens-before the end of the wait. Read-side sections
 * never block, spin or allocate (after a thread's first use of the domain), nest, and may be
 * entered through the domain or, without the {@code ThreadLocal} lookup, through the thread's
 * {@link Reader} handle.
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
 * // hot path: the thread's handle, thread-confined
 * Rcu.Reader reader = rcu.reader();
 * reader.lock();
 * try { use((Node) HEAD.getAcquire(this)); } finally { reader.unlock(); }
 * // updater
 * Node old = (Node) HEAD.getAndSetRelease(this, replacement);   // rcu_assign_pointer()
 * rcu.synchronize();              // no reader can still see old
 * retire(old);                    // or: rcu.callRcu(() -> retire(old));
 * }</pre>
 *
 * <p>Thread-safe: every method may be called from any thread, with the context each one states; a
 * {@link Reader} handle is confined to its thread. The algorithm and memory-ordering notes are
 * block comments in the source of this class (what stays here, the protocol seam) and of the
 * package-private classes it delegates to: {@code RcuReaders} (reader records, their registry,
 * steps R1-R4), {@code GracePeriods} (steps G1-G4, the polled cookies, the store-buffer argument,
 * stall reports) and {@code RcuCallbacks} ({@code call_rcu()}'s queue, the reclaimer thread, {@code
 * rcu_barrier()}).
 */
public final class Rcu implements AutoCloseable {

  /*
   * Implementation notes: the façade.
   *
   * This class holds the public API and delegates each job to a package-private class: reader
   * registration and the registry to RcuReaders, grace periods (synchronize_rcu, the polled
   * cookies, stall and dead-reader reports, registry sweeps) to GracePeriods, call_rcu and
   * rcu_barrier to RcuCallbacks. What stays here stays for the read-side hot path, which runs on
   * every lockVmaUnderRcu() and maple walk: the ThreadLocal of reader records (readLock() is one
   * ThreadLocal lookup and a call on the record, as before), the grace-period counter `epoch`
   * (R1 loads it from the Reader's `domain` field: one dependent load, as before; GracePeriods
   * advances it through EPOCH), and Reader itself, a public nested class whose fields, WORD
   * VarHandle and enter()/exit() steps are unchanged. Nothing on reader entry or exit calls into
   * the package-private classes; only misuse (the exception messages) and a thread's first use
   * (registration) do.
   *
   * The protocol seam. RcuProtocol's steps (the reader's publication R2-R3, the end of a section
   * at R4, the grace period's wait G3) are run inline for the faithful protocol: each Reader keeps
   * a final `protocol` field that is null for a faithful domain, so rcu_read_lock() and
   * rcu_read_unlock() test one final field the handle already holds and never make an interface
   * call; a grace period tests GracePeriods' final `gracePeriodWaits`, read once at construction.
   * Reader is one final class (no per-protocol subclass), so the read-side call sites stay
   * monomorphic whatever protocol other domains in the same JVM run. RcuProtocol's default
   * methods repeat the faithful steps for domains given another instance; change both together.
   */

  /** Default stall timeout, as the kernel's {@code CONFIG_RCU_CPU_STALL_TIMEOUT} (21 s) scaled. */
  static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(10);

  private static final AtomicInteger DOMAIN_IDS = new AtomicInteger();

  /** The faithful protocol: every default, nothing overridden. */
  static final RcuProtocol FAITHFUL_PROTOCOL = new RcuProtocol() {};

  private final RcuProtocol protocol;

  /** Whether {@link #protocol} is {@link RcuProtocol#faithful()}: readers run the inline steps. */
  private final boolean faithful;

  private final boolean isGlobal;

  /** This domain's number, in reports and the reclaimer thread's name. */
  final int id;

  /**
   * Grace-period counter; readers snapshot it (R1), grace periods advance it (G1). Here, not in
   * {@link GracePeriods}, so that R1 stays one load from the reader's {@code domain} field.
   */
  @SuppressWarnings("UnusedVariable") // accessed through EPOCH
  private volatile long epoch = 1L;

  /** Reader registration and the registry of records. */
  private final RcuReaders registry = new RcuReaders();

  private final GracePeriods gracePeriods;

  private final RcuCallbacks callbacks;

  /** The calling thread's record; on its first use registered by {@link RcuReaders#register}. */
  private final ThreadLocal<Reader> readers;

  /** Creates a domain with the defaults of {@link #builder()}. */
  public Rcu() {
    this(new Builder(), false);
  }

  private Rcu(Builder b, boolean isGlobal) {
    this.protocol = b.protocol;
    this.faithful = b.protocol == FAITHFUL_PROTOCOL;
    this.isGlobal = isGlobal;
    this.id = DOMAIN_IDS.incrementAndGet();
    this.gracePeriods =
        new GracePeriods(
            this,
            registry,
            b.protocol.gracePeriodWaits(),
            b.stallTimeout.toNanos(),
            b.stallListener);
    this.callbacks =
        new RcuCallbacks(this, gracePeriods, b.reclaimerThread, b.callbackErrorHandler);
    this.readers = ThreadLocal.withInitial(() -> registry.register(this, gracePeriods));
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

  /** Number of records in the registry (for tests). */
  int registrySize() {
    return registry.size();
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
    RcuReaders.assertNotInReadSection(readers.get(), "synchronize()");
    gracePeriods.awaitGracePeriod(gracePeriods.pollState());
    callbacks.runInlineCallbacks();
  }

  /**
   * A cookie for {@link #pollStateSynchronized(long)} ({@code get_state_synchronize_rcu()}).
   *
   * <p>Context: any thread, also inside a read-side critical section. Never blocks.
   *
   * @return a cookie naming the first grace period that begins after this call
   */
  public long pollState() {
    return gracePeriods.pollState();
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
    return gracePeriods.pollStateSynchronized(cookie);
  }

  // ---------------------------------------------------------------------------------------------
  // Callbacks

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
    callbacks.callRcu(callback);
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
    RcuReaders.assertNotInReadSection(readers.get(), "barrier()");
    callbacks.barrier();
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
    RcuReaders.assertNotInReadSection(readers.get(), "close()");
    callbacks.close();
  }

  @Override
  public String toString() {
    return "Rcu[id="
        + id
        + (faithful ? "" : ", protocol=" + protocol)
        + ", epoch="
        + (long) EPOCH.getVolatile(this)
        + ", completed="
        + gracePeriods.completed()
        + ", readers="
        + registry.registered()
        + (callbacks.isClosed() ? ", closed" : "")
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

    /** Registry link; see {@link RcuReaders#unlink}. */
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
        throw RcuReaders.wrongThread(this);
      }
    }

    /** R1-R3 on outermost entry ({@link RcuProtocol#publishEntry} when not faithful). */
    private void enter() {
      int n = nest;
      if (n == 0) {
        long e = (long) EPOCH.getAcquire(domain); // R1: pairs with G1
        RcuProtocol p = protocol;
        if (p == null) {
          WORD.setOpaque(this, e); // R2
          VarHandle.fullFence(); // R3: pairs with G2 (store-buffer shape, GracePeriods' notes)
        } else {
          p.publishEntry(this, e);
        }
      } else if (n == Integer.MAX_VALUE) {
        throw RcuReaders.overflow(this);
      }
      nest = n + 1;
    }

    /** R4 on outermost exit ({@link RcuProtocol#unlockEndsSection} when not faithful). */
    private void exit() {
      int n = nest;
      if (n <= 0) {
        throw RcuReaders.unbalanced(this);
      }
      nest = n - 1;
      RcuProtocol p = protocol;
      if (p == null ? n == 1 : p.unlockEndsSection(n)) {
        WORD.setRelease(this, 0L); // R4: pairs with G3's acquire load
      }
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
    private Consumer<? super Throwable> callbackErrorHandler = RcuCallbacks::logCallbackError;

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

  /** {@link #epoch}: R1's acquire load (here, in {@link Reader}), G1's store (GracePeriods). */
  static final VarHandle EPOCH;

  static {
    try {
      EPOCH = MethodHandles.lookup().findVarHandle(Rcu.class, "epoch", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
