package io.github.vmalock.sim;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.sim.callers.BpfStackMapBuildId;
import io.github.vmalock.sim.callers.SimContext;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import io.github.vmalock.variants.ProtocolVariant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code replay seed-v2}: the runtime defects the automated review found in v2 of "mm:
 * Unconditional per-VMA locks and cleanups", each run in its v2 shape and in its corrected shape,
 * side by side. A v2 shape must be caught; a corrected shape must pass.
 *
 * <ul>
 *   <li>{@code vma_start_read_unlocked()}'s slow path on an address no VMA covers: v2 calls {@code
 *       vma_start_read_locked()} on the NULL result (the mm's {@link
 *       ProtocolVariant#SEED_V2_NULL_DEREF}: a {@link NullPointerException}); corrected: NULL,
 *       holding nothing.
 *   <li>The BPF stack map after {@code lock_vma_under_rcu()} succeeded: v2's stale {@code #ifdef
 *       CONFIG_PER_VMA_LOCK} makes {@code stack_map_unlock_vma()} call {@code mmap_read_unlock()}
 *       on a lock never taken (the model refuses it with {@link IllegalStateException}) and never
 *       {@code vma_end_read()}: the leaked VMA read reference makes the next {@code
 *       vma_start_write()} on that VMA wait, detected by a bounded wait on a writer thread;
 *       corrected: clean, and the writer gets through.
 * </ul>
 *
 * <p>The build-time defects of v2 (binder's unused label, the Rust function's missing tail
 * expression) have no runtime shape and are listed as notes.
 */
public final class SeedV2Replay {

  /**
   * One replayed case.
   *
   * @param defect what the case exercises
   * @param shape {@code "v2"} or {@code "corrected"}
   * @param observed what happened
   * @param ok for a v2 shape: it was caught; for a corrected one: it passed
   */
  public record Case(String defect, String shape, String observed, boolean ok) {
    /**
     * The verdict printed in the table.
     *
     * @return {@code CAUGHT}/{@code MISSED} for v2, {@code PASS}/{@code FAIL} for corrected
     */
    public String verdict() {
      if (shape.equals("v2")) {
        return ok ? "CAUGHT" : "MISSED";
      }
      return ok ? "PASS" : "FAIL";
    }
  }

  /**
   * The replay's result.
   *
   * @param cases the cases in order
   * @param notes defects without a runtime shape
   */
  public record Result(List<Case> cases, List<String> notes) {
    /**
     * Copies the lists.
     *
     * @throws IllegalArgumentException if a list is null
     */
    public Result {
      if (cases == null || notes == null) {
        throw new IllegalArgumentException("cases and notes must not be null");
      }
      cases = List.copyOf(cases);
      notes = List.copyOf(notes);
    }

    /**
     * Whether every v2 shape was caught and every corrected shape passed.
     *
     * @return the replay's verdict (exit status 0 when true)
     */
    public boolean allAsExpected() {
      for (Case c : cases) {
        if (!c.ok()) {
          return false;
        }
      }
      return !cases.isEmpty();
    }
  }

  private static final long PAGE = AddressLayout.PAGE;
  private static final long BASE = AddressLayout.BASE;
  private static final long LEN = 16 * PAGE;

  private final Duration leakWait;

  /**
   * Creates a replay.
   *
   * @param leakWait how long a writer's {@code vma_start_write()} may take before the VMA is
   *     reported held by a leaked reference (the bounded wait); positive
   * @throws IllegalArgumentException if {@code leakWait} is not positive
   */
  public SeedV2Replay(Duration leakWait) {
    if (leakWait == null || leakWait.isNegative() || leakWait.isZero()) {
      throw new IllegalArgumentException("leak wait must be positive, was " + leakWait);
    }
    this.leakWait = leakWait;
  }

  /**
   * Runs every case. Context: the calling thread holds nothing; blocks for at most a few times the
   * leak wait.
   *
   * @return the result
   */
  public Result run() {
    List<Case> cases = new ArrayList<>();
    cases.add(slowPathHoleV2());
    cases.add(slowPathHoleCorrected());
    cases.add(slowPathCoveredCorrected());
    cases.addAll(bpfStackMap(true));
    cases.addAll(bpfStackMap(false));
    cases.add(bpfStackMapNoPerVmaLocks());
    List<String> notes =
        List.of(
            "binder: label err_vma_lock_failed left without a goto (-Wunused-label with"
                + " CONFIG_WERROR=y): a build-time defect, nothing to run",
            "rust MmWithUser::lock_vma_under_rcu: trailing None removed (E0308): a build-time"
                + " defect, nothing to run");
    return new Result(cases, notes);
  }

  private static MmStruct mm(LockMode mode, ProtocolVariant variant) {
    MmStruct mm =
        MmStruct.builder().lockMode(mode).protocol(variant.protocol()).debug(true).build();
    mm.mmap(BASE, LEN, VmFlags.VM_READ | VmFlags.VM_WRITE);
    return mm;
  }

  private static final String SLOW_PATH = "vma_start_read_unlocked() slow path, no VMA at address";

  private static Case slowPathHoleV2() {
    MmStruct mm = mm(LockMode.PER_VMA, ProtocolVariant.SEED_V2_NULL_DEREF);
    long hole = BASE + LEN + PAGE;
    try {
      VmArea v = mm.vmaStartReadUnlocked(hole);
      String seen =
          "returned " + (v == null ? "null" : v.toString()) + ": the null deref was not hit";
      if (v != null) {
        v.endRead();
      }
      return new Case(SLOW_PATH, "v2", seen, false);
    } catch (NullPointerException e) {
      int held = mm.mmapLock().getReadHoldCount();
      for (int i = 0; i < held; i++) {
        mm.mmapReadUnlock(); // the kernel would have oopsed; free the lock for the next case
      }
      return new Case(SLOW_PATH, "v2", "NullPointerException (vma_start_read_locked(NULL))", true);
    } catch (RuntimeException e) {
      return new Case(SLOW_PATH, "v2", "unexpected " + e, false);
    }
  }

  private static Case slowPathHoleCorrected() {
    MmStruct mm = mm(LockMode.PER_VMA, ProtocolVariant.FAITHFUL);
    long hole = BASE + LEN + PAGE;
    try {
      VmArea v = mm.vmaStartReadUnlocked(hole);
      String problem = nothingHeld(mm);
      if (v != null) {
        v.endRead();
        return new Case(SLOW_PATH, "corrected", "returned a VMA for a hole: " + v, false);
      }
      return problem == null
          ? new Case(SLOW_PATH, "corrected", "null, no lock held", true)
          : new Case(SLOW_PATH, "corrected", "null but " + problem, false);
    } catch (RuntimeException e) {
      return new Case(SLOW_PATH, "corrected", "threw " + e, false);
    }
  }

  private static Case slowPathCoveredCorrected() {
    String defect = "vma_start_read_unlocked() on a mapped address";
    MmStruct mm = mm(LockMode.PER_VMA, ProtocolVariant.FAITHFUL);
    long addr = BASE + 3 * PAGE;
    try {
      VmArea v = mm.vmaStartReadUnlocked(addr);
      if (v == null) {
        return new Case(defect, "corrected", "returned null for a mapped address", false);
      }
      boolean covers = v.contains(addr);
      boolean noMmapLock = mm.mmapLock().getReadHoldCount() == 0;
      v.endRead();
      String problem = nothingHeld(mm);
      boolean ok = covers && noMmapLock && problem == null;
      return new Case(
          defect,
          "corrected",
          ok
              ? "VMA read-locked, mmap_lock not held"
              : "covers="
                  + covers
                  + " noMmapLock="
                  + noMmapLock
                  + (problem == null ? "" : " " + problem),
          ok);
    } catch (RuntimeException e) {
      return new Case(defect, "corrected", "threw " + e, false);
    }
  }

  /** Null when the calling thread holds nothing and the mm is quiescent, else what is held. */
  private static String nothingHeld(MmStruct mm) {
    try {
      mm.assertNoLocksHeld();
      mm.assertQuiescent();
      return null;
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }

  private List<Case> bpfStackMap(boolean v2) {
    String shape = v2 ? "v2" : "corrected";
    List<Case> out = new ArrayList<>();
    MmStruct mm = mm(LockMode.PER_VMA, ProtocolVariant.FAITHFUL);
    SimContext ctx = SimContext.of(mm, World.SERIES, new AddressLayout(AddressLayout.MIN_SLOTS));
    BpfStackMapBuildId bpf = v2 ? BpfStackMapBuildId.seedV2(ctx) : BpfStackMapBuildId.correct(ctx);
    long ip = BASE + 5 * PAGE + 0x123;
    BpfStackMapBuildId.VmaLock lock = new BpfStackMapBuildId.VmaLock();
    VmArea vma = bpf.stackMapLockVma(lock, ip);
    String unlockDefect = "bpf stack map: unlock after lock_vma_under_rcu() succeeded";
    if (vma == null || mm.mmapLock().getReadHoldCount() != 0) {
      out.add(new Case(unlockDefect, shape, "fast path did not succeed on a quiescent mm", false));
      releaseAll(mm, vma);
      return out;
    }
    String unlockError = null;
    try {
      bpf.stackMapUnlockVma(lock);
    } catch (IllegalStateException e) {
      unlockError = e.getMessage();
    }
    if (v2) {
      out.add(
          new Case(
              unlockDefect,
              shape,
              unlockError != null
                  ? "mmap_read_unlock() refused: " + unlockError
                  : "mmap_read_unlock() of a lock never taken was not refused",
              unlockError != null));
    } else {
      out.add(
          new Case(
              unlockDefect,
              shape,
              unlockError == null ? "vma_end_read(), nothing held" : "unlock threw: " + unlockError,
              unlockError == null));
    }
    // The next vma_start_write() on that VMA, from a writer thread, with a bounded wait.
    String leakDefect = "bpf stack map: VMA read reference after unlock";
    int refcnt = vma.refcnt();
    AtomicReference<Throwable> writerError = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                mm.mprotect(
                    BASE, LEN, VmFlags.VM_READ); // write-locks the VMA: waits for its readers
              } catch (RuntimeException e) {
                writerError.set(e);
              }
            },
            "replay-writer");
    writer.setDaemon(true);
    writer.start();
    boolean blocked = !join(writer, leakWait.toMillis());
    if (blocked) {
      vma.endRead(); // release the leaked reference: the writer can finish
      join(writer, 10_000);
    }
    String rest = nothingHeld(mm);
    if (v2) {
      out.add(
          new Case(
              leakDefect,
              shape,
              blocked
                  ? "next vma_start_write() still waiting after "
                      + leakWait.toMillis()
                      + " ms (vm_refcnt "
                      + refcnt
                      + "): leaked reference"
                  : "writer got through (vm_refcnt " + refcnt + "): leak not detected",
              blocked));
    } else {
      boolean ok = !blocked && writerError.get() == null && rest == null && refcnt == 1;
      out.add(
          new Case(
              leakDefect,
              shape,
              ok
                  ? "vm_refcnt 1, next vma_start_write() got through"
                  : "vm_refcnt "
                      + refcnt
                      + (blocked ? ", writer blocked" : "")
                      + (writerError.get() == null ? "" : ", writer threw " + writerError.get())
                      + (rest == null ? "" : ", " + rest),
              ok));
    }
    return out;
  }

  private Case bpfStackMapNoPerVmaLocks() {
    String defect = "bpf stack map, kernel without per-VMA locks (mmap_lock kept)";
    MmStruct mm = mm(LockMode.MMAP_LOCK_ONLY, ProtocolVariant.FAITHFUL);
    SimContext ctx =
        SimContext.of(mm, World.NO_PER_VMA_LOCKS, new AddressLayout(AddressLayout.MIN_SLOTS));
    BpfStackMapBuildId bpf = BpfStackMapBuildId.correct(ctx);
    try {
      BpfStackMapBuildId.VmaLock lock = new BpfStackMapBuildId.VmaLock();
      VmArea vma = bpf.stackMapLockVma(lock, BASE + PAGE);
      boolean held = mm.mmapLock().getReadHoldCount() == 1;
      if (vma == null) {
        return new Case(defect, "corrected", "no VMA returned", false);
      }
      bpf.stackMapUnlockVma(lock);
      String rest = nothingHeld(mm);
      boolean ok = held && rest == null;
      return new Case(
          defect,
          "corrected",
          ok
              ? "mmap_lock held across the lookup, released"
              : "held=" + held + (rest == null ? "" : " " + rest),
          ok);
    } catch (RuntimeException e) {
      return new Case(defect, "corrected", "threw " + e, false);
    }
  }

  private static void releaseAll(MmStruct mm, VmArea vma) {
    int held = mm.mmapLock().getReadHoldCount();
    for (int i = 0; i < held; i++) {
      mm.mmapReadUnlock();
    }
    if (vma != null && vma.refcnt() > 1) {
      vma.endRead();
    }
  }

  private static boolean join(Thread t, long millis) {
    try {
      TimeUnit.MILLISECONDS.timedJoin(t, millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }
}
