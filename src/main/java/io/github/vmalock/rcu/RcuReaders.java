package io.github.vmalock.rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reader registry of one {@link Rcu} domain: registration of each thread's {@link Rcu.Reader}
 * record (its per-thread handle), the list that grace periods walk, unlinking of dead threads'
 * records, and the read-side checks and error messages ({@code rcu_read_lock()} nesting, the
 * handle's thread confinement).
 *
 * <p>Package-private: {@link Rcu#readLock()}, {@link Rcu#readUnlock()} and {@link Rcu#reader()} are
 * the public API. The read-side steps themselves (R1-R4) stay in {@link Rcu.Reader}, the public
 * handle, so that entering and leaving a section costs what it did before the split; see the notes
 * below.
 */
final class RcuReaders {
  /*
   * Implementation notes.
   *
   * Design. Each thread that uses a domain owns one Rcu.Reader record, found through the domain's
   * ThreadLocal or held directly by the caller (Rcu.reader(), the handle). A record has a plain
   * nesting counter `nest` (only its owner touches it) and a shared word `word`: 0 while the owner
   * is outside any section, otherwise the value of the domain's grace-period counter `epoch` that
   * the owner read when it entered its outermost section. Records are linked into this registry, a
   * Treiber list: pushes by CAS on `head` (register()), unlinking (unlink()) only by the holder of
   * GracePeriods' gpLock. This is liburcu's "memb" flavour with a counter in place of its phase
   * bit, and crossbeam-epoch's "pin" with the global epoch never needing to be unanimous.
   *
   * rcu_read_lock(), outermost entry (Rcu.Reader.enter()):
   *   R1. read `epoch` with acquire (pairs with G1);
   *   R2. store it into `word` (opaque; the fence orders it);
   *   R3. VarHandle.fullFence() (pairs with G2: the store-buffer argument is in GracePeriods'
   *       notes, next to the updater's half of it).
   * A nested entry only increments `nest`; at Integer.MAX_VALUE it throws and changes nothing.
   * rcu_read_unlock() (Rcu.Reader.exit()): the outermost exit,
   *   R4. stores 0 into `word` with release (pairs with G3's acquire load);
   * nested exits only decrement `nest`; an unlock at depth 0 throws and changes nothing. No reader
   * step blocks, spins, or allocates after the thread's first use (which allocates its record).
   *
   * Where the code lives, and why. R1-R4 run on every lockVmaUnderRcu() and every maple walk, so
   * they stay in Rcu.Reader with its fields (`domain`, `protocol`, `nest`, `word`) and its WORD
   * VarHandle, and `epoch` stays a field of Rcu: entry is still the Reader's `nest` load, its
   * `domain` load, the acquire load of `epoch`, the opaque store and the fence, with no call into
   * this class. What moved here is off that path: registration on a thread's first use, the list
   * and its counters, and the exception messages of misuse (thrown, never on a correct path).
   *
   * Registration. register() pushes the new record at the head (the CAS publishes its fields:
   * whoever loads `head` with acquire, or follows `next` from it, sees them). Once the registry
   * holds more than twice as many records as after the last sweep, plus SWEEP_SLACK, the
   * registering thread asks GracePeriods for a sweep (a tryLock of gpLock; it never waits), so
   * threads coming and going do not grow the list without bound, and no System.gc() is needed.
   *
   * Unlinking. Interior records are unlinked with a plain store to their predecessor's `next`:
   * only gpLock holders follow `next` past a record they did not push, and gpLock orders their
   * accesses. The head is unlinked by CAS, and left for the next sweep if a concurrent
   * registration pushed in front of it. A record is unlinked only once its owner is dead, so no
   * live thread's section is lost.
   */

  /** Registry sweeps happen once it holds this many records more than after the last sweep. */
  private static final int SWEEP_SLACK = 64;

  /** Head of the registry of reader records. */
  @SuppressWarnings("UnusedVariable") // accessed through HEAD
  private volatile Rcu.Reader head;

  /** Records in the registry (approximate between sweeps). */
  private final AtomicInteger registered = new AtomicInteger();

  /** Registry size after the last sweep; written with gpLock held. */
  private volatile int liveAfterSweep;

  /**
   * Creates and registers the calling thread's record for {@code domain}: the initial value of the
   * domain's {@code ThreadLocal}. Sweeps dead records (through {@code gracePeriods}, never waiting)
   * once the registry has doubled since the last sweep.
   */
  Rcu.Reader register(Rcu domain, GracePeriods gracePeriods) {
    Rcu.Reader r = new Rcu.Reader(domain, Thread.currentThread());
    Rcu.Reader h;
    do {
      h = first();
      r.next = h;
    } while (!HEAD.compareAndSet(this, h, r));
    int n = registered.incrementAndGet();
    if (n > 2 * liveAfterSweep + SWEEP_SLACK) {
      gracePeriods.trySweepDeadReaders();
    }
    return r;
  }

  /** The most recently registered record, with acquire: its fields and its successors are seen. */
  Rcu.Reader first() {
    return (Rcu.Reader) HEAD.getAcquire(this);
  }

  /**
   * Removes {@code r} (whose successor is {@code next}, and whose predecessor is {@code pred}, null
   * for the head) from the registry; gpLock held. See the notes, "Unlinking".
   */
  void unlink(Rcu.Reader pred, Rcu.Reader r, Rcu.Reader next) {
    if (pred != null) {
      pred.next = next;
      registered.decrementAndGet();
    } else if (HEAD.compareAndSet(this, r, next)) {
      registered.decrementAndGet();
    }
  }

  /** Records the registry size after a full walk that unlinked the dead records; gpLock held. */
  void swept() {
    liveAfterSweep = registered.get();
  }

  /** Records in the registry, approximate between sweeps (for {@code toString}). */
  int registered() {
    return registered.get();
  }

  /** Number of records in the registry, counted by a walk (for tests). */
  int size() {
    int n = 0;
    for (Rcu.Reader r = first(); r != null; r = r.next) {
      n++;
    }
    return n;
  }

  /**
   * Throws if {@code self}, the calling thread's record, is inside a section: {@code what} would
   * wait for itself.
   */
  static void assertNotInReadSection(Rcu.Reader self, String what) {
    if (self.nest > 0) {
      throw new IllegalStateException(
          what
              + " called inside a read-side critical section of this domain (nesting depth "
              + self.nest
              + "): it would wait for itself");
    }
  }

  /** The misuse of a handle on another thread than its owner. */
  static IllegalStateException wrongThread(Rcu.Reader r) {
    return new IllegalStateException(
        "RCU reader handle of thread \""
            + r.owner.getName()
            + "\" used on thread \""
            + Thread.currentThread().getName()
            + "\": handles are thread-confined");
  }

  /** A nested {@code rcu_read_lock()} at depth {@link Integer#MAX_VALUE}. */
  static IllegalStateException overflow(Rcu.Reader r) {
    return new IllegalStateException(
        "rcu_read_lock nesting depth overflow (" + r.nest + ") on " + r.owner.getName());
  }

  /** An {@code rcu_read_unlock()} at depth 0. */
  static IllegalStateException unbalanced(Rcu.Reader r) {
    return new IllegalStateException(
        "readUnlock() without a matching readLock() on thread \""
            + r.owner.getName()
            + "\" (nesting depth "
            + r.nest
            + ")");
  }

  private static final VarHandle HEAD;

  static {
    try {
      HEAD = MethodHandles.lookup().findVarHandle(RcuReaders.class, "head", Rcu.Reader.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
