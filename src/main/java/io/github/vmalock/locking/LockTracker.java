package io.github.vmalock.locking;

import java.util.ArrayList;
import java.util.List;

/**
 * Lockdep-like bookkeeping of which locks the calling thread holds, for debug modes.
 *
 * <p>The kernel's lockdep records, per task, the locks it holds, so that {@code
 * lockdep_assert_held}, {@code debug_check_no_locks_held} and lock-order reports can be made. A
 * tracker does the same for one lock domain (one mm): each thread has a list of (lock, kind, count)
 * records that only it touches. Owners of the tracked locks call {@link #acquired} after a
 * successful acquisition and {@link #released} before a release; checks and reports are up to them.
 */
public final class LockTracker {
  /*
   * Implementation notes.
   *
   * All state is thread-confined (a ThreadLocal), so no synchronisation is needed and a tracker
   * costs nothing to threads that never use it. A reference released by another thread than the one
   * that took it (legal for VMA read locks in the kernel, which has no owner) is not found by that
   * thread: released then reports false and the owner of the lock decides.
   */

  private final String domain;
  private final ThreadLocal<List<Held>> held = ThreadLocal.withInitial(ArrayList::new);

  /**
   * A tracker for one lock domain.
   *
   * @param domain a name for messages (for example the mm's description)
   */
  public LockTracker(String domain) {
    this.domain = domain;
  }

  private static final class Held {
    final Object lock;
    final String kind;
    int count;

    Held(Object lock, String kind) {
      this.lock = lock;
      this.kind = kind;
    }
  }

  /**
   * Records that the calling thread acquired {@code lock} in mode {@code kind}.
   *
   * @param lock the lock object (compared by identity)
   * @param kind the mode, for example {@code "mmap_lock(read)"}
   */
  public void acquired(Object lock, String kind) {
    List<Held> list = held.get();
    for (Held h : list) {
      if (h.lock == lock && h.kind.equals(kind)) {
        h.count++;
        return;
      }
    }
    Held h = new Held(lock, kind);
    h.count = 1;
    list.add(h);
  }

  /**
   * Records that the calling thread released {@code lock} in mode {@code kind}.
   *
   * @param lock the lock object
   * @param kind the mode it was acquired in
   * @return false if the calling thread held no such lock (nothing recorded changes)
   */
  public boolean released(Object lock, String kind) {
    List<Held> list = held.get();
    for (int i = 0; i < list.size(); i++) {
      Held h = list.get(i);
      if (h.lock == lock && h.kind.equals(kind)) {
        if (--h.count == 0) {
          list.remove(i);
        }
        return true;
      }
    }
    return false;
  }

  /**
   * How often the calling thread holds {@code lock} in mode {@code kind}.
   *
   * @param lock the lock object
   * @param kind the mode
   * @return the hold count, 0 if not held
   */
  public int holdCount(Object lock, String kind) {
    for (Held h : held.get()) {
      if (h.lock == lock && h.kind.equals(kind)) {
        return h.count;
      }
    }
    return 0;
  }

  /**
   * How many locks of mode {@code kind} the calling thread holds, counting repeats.
   *
   * @param kind the mode
   * @return the total hold count over all locks of that mode
   */
  public int holdCount(String kind) {
    int n = 0;
    for (Held h : held.get()) {
      if (h.kind.equals(kind)) {
        n += h.count;
      }
    }
    return n;
  }

  /**
   * Whether the calling thread holds any tracked lock.
   *
   * @return true if something is held
   */
  public boolean holdsAny() {
    return !held.get().isEmpty();
  }

  /**
   * What the calling thread holds, one lock per line, as lockdep prints it.
   *
   * @return a description naming the thread and the domain; "no locks held" when empty
   */
  public String describe() {
    List<Held> list = held.get();
    StringBuilder sb =
        new StringBuilder()
            .append(Thread.currentThread().getName())
            .append(" in ")
            .append(domain)
            .append(": ");
    if (list.isEmpty()) {
      return sb.append("no locks held").toString();
    }
    sb.append(list.size()).append(list.size() == 1 ? " lock held:" : " locks held:");
    for (Held h : list) {
      sb.append("\n  #").append(h.kind).append(" x").append(h.count).append(": ").append(h.lock);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "LockTracker[" + domain + "]";
  }
}
