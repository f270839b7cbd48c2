package io.github.vmalock.testkit;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.rcu.Rcu;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jetbrains.lincheck.Lincheck;

/**
 * Lincheck model checking of a user's {@link VmaLockProtocol}: the third of the checks beside
 * {@link ProtocolCheck#contract(VmaLockProtocol)} and {@link ProtocolCheck#stress(VmaLockProtocol,
 * java.time.Duration)}. Where the stress run samples interleavings, the model checker enumerates
 * them (up to a budget of invocations, each a different schedule of two threads' shared-memory
 * accesses) and reports the first one that breaks an invariant, with its trace.
 *
 * <pre>{@code
 * @Test @Tag("lincheck")
 * void myProtocolModelChecked() {
 *   ProtocolModelCheck.check(new MyProtocol());   // AssertionError with the interleaving if broken
 * }
 * }</pre>
 *
 * <p>The scenarios, each two threads on a fresh mm built with the protocol (and a fresh RCU domain
 * without a reclaimer thread and a fresh VMA cache, so that a freed VMA is reused at once):
 *
 * <ul>
 *   <li>{@link Scenario#LOCK_VMA_UNDER_RCU_VS_UNMAP_RECYCLE}: {@code lock_vma_under_rcu(A)} against
 *       {@code munmap(A)} and an {@code mmap(B)} that reuses the freed VMA;
 *   <li>{@link Scenario#LOCK_VMA_UNDER_RCU_VS_WRITE_LOCK}: {@code lock_vma_under_rcu(A)} against a
 *       writer holding A write-locked: never both inside;
 *   <li>{@link Scenario#START_READ_UNLOCKED_VS_UNMAP_RECYCLE}: {@code vma_start_read_unlocked(A)}
 *       against the same unmap and reuse;
 *   <li>{@link Scenario#START_READ_UNLOCKED_VS_MPROTECT}: {@code vma_start_read_unlocked(A)}
 *       against an {@code mprotect} of A (write-locked, changed, still mapped), which sends the
 *       reader to the slow path.
 * </ul>
 *
 * <p>The reader's checks on any VMA it gets: of this mm, covering the address, attached, and read
 * -locked (its {@link VmArea#endRead()} must succeed), and the calling thread holds no mmap lock;
 * at the end, every VMA's {@code vm_refcnt} is 1 (no leaked or lost reference). The invariants are
 * F1 to F6 of the project's catalogue ({@code docs/invariants.md}).
 *
 * <p>Needs Lincheck ({@code org.jetbrains.lincheck:lincheck}) on the class path at run time: the
 * library declares it as a {@code provided} dependency, so a user adds it to their test
 * dependencies. Lincheck instruments classes as the code under analysis reaches them; {@link
 * #check(VmaLockProtocol, int)} first runs a warm-up of single invocations so that this cost does
 * not fall inside a measured invocation's time budget. Run the calling test in a JVM of its own
 * without a coverage agent (as this project's {@code lincheck} test execution does).
 *
 * <p>Context: blocks the calling thread for the whole check (seconds to minutes, with the
 * invocation count). Not thread-safe: one check per JVM at a time.
 */
public final class ProtocolModelCheck {
  /*
   * Implementation notes. Each invocation builds its world from scratch inside the block that
   * Lincheck runs, so that every schedule starts from the same state; the two threads are plain
   * Java threads started and joined inside it, which Lincheck 3's general-purpose model checker
   * schedules. A thread's exception is recorded and rethrown as an AssertionError after the join,
   * so that Lincheck reports it with the interleaving. The violations list is written by both
   * threads under a lock (off the protocol's hot path) and read after both joins.
   */

  /** Invocations per scenario of {@link #check(VmaLockProtocol)}. */
  public static final int DEFAULT_INVOCATIONS = 2_000;

  private static final long A = 0x100000L;
  private static final long B = 0x200000L;
  private static final long PAGE = MmStruct.PAGE_SIZE;
  private static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /** The scenarios of the check. */
  public enum Scenario {
    /** {@code lock_vma_under_rcu(A)} against {@code munmap(A)}, then {@code mmap(B)}. */
    LOCK_VMA_UNDER_RCU_VS_UNMAP_RECYCLE(ProtocolModelCheck::readerVsUnmapRecycle),
    /** {@code lock_vma_under_rcu(A)} against a writer holding A write-locked. */
    LOCK_VMA_UNDER_RCU_VS_WRITE_LOCK(ProtocolModelCheck::readerVsWriteLock),
    /** {@code vma_start_read_unlocked(A)} against {@code munmap(A)}, then {@code mmap(B)}. */
    START_READ_UNLOCKED_VS_UNMAP_RECYCLE(ProtocolModelCheck::unlockedVsUnmapRecycle),
    /** {@code vma_start_read_unlocked(A)} against {@code mprotect(A)}. */
    START_READ_UNLOCKED_VS_MPROTECT(ProtocolModelCheck::unlockedVsMprotect);

    final Function<VmaLockProtocol, World> build;

    Scenario(Function<VmaLockProtocol, World> build) {
      this.build = build;
    }
  }

  private ProtocolModelCheck() {}

  /**
   * Model-checks {@code protocol} in every {@link Scenario}, {@link #DEFAULT_INVOCATIONS}
   * invocations each.
   *
   * @param protocol the protocol under test
   * @throws AssertionError naming the scenario, with Lincheck's interleaving, if one breaks
   * @throws IllegalArgumentException if {@code protocol} is null
   */
  public static void check(VmaLockProtocol protocol) {
    check(protocol, DEFAULT_INVOCATIONS);
  }

  /**
   * Model-checks {@code protocol} in every {@link Scenario}.
   *
   * @param protocol the protocol under test
   * @param invocations schedules explored per scenario, at least 1
   * @throws AssertionError naming the scenario, with Lincheck's interleaving, if one breaks
   * @throws IllegalArgumentException if {@code protocol} is null or {@code invocations < 1}
   */
  public static void check(VmaLockProtocol protocol, int invocations) {
    for (Scenario s : Scenario.values()) {
      check(protocol, s, invocations);
    }
  }

  /**
   * Model-checks {@code protocol} in one scenario.
   *
   * @param protocol the protocol under test
   * @param scenario the scenario
   * @param invocations schedules explored, at least 1
   * @throws AssertionError naming the scenario, with Lincheck's interleaving, if it breaks
   * @throws IllegalArgumentException if an argument is null or {@code invocations < 1}
   */
  public static void check(VmaLockProtocol protocol, Scenario scenario, int invocations) {
    if (protocol == null || scenario == null) {
      throw new IllegalArgumentException("protocol and scenario must not be null");
    }
    if (invocations < 1) {
      throw new IllegalArgumentException("invocations must be at least 1: " + invocations);
    }
    warmUp(protocol);
    try {
      Lincheck.runConcurrentTest(invocations, () -> runOnce(scenario.build.apply(protocol)));
    } catch (AssertionError e) {
      throw new AssertionError(
          "model checking " + protocol + " in " + scenario + ": " + e.getMessage(), e);
    }
  }

  private static volatile boolean warm;

  /** One invocation of each scenario's sequential parts: instruments the classes they reach. */
  private static void warmUp(VmaLockProtocol protocol) {
    if (warm) {
      return;
    }
    for (Scenario s : Scenario.values()) {
      Lincheck.runConcurrentTest(
          1,
          () -> {
            World w = s.build.apply(protocol);
            w.reader.run();
            w.writer.run();
          });
    }
    warm = true;
  }

  /** The state of one invocation. */
  static final class World {
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    Runnable reader;
    Runnable writer;
    Runnable finalCheck = () -> {};

    void violation(String what) {
      violations.add(what);
    }
  }

  private static void runOnce(World w) {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread r = new Thread(guard(w.reader, failure, "reader"));
    Thread wr = new Thread(guard(w.writer, failure, "writer"));
    r.start();
    wr.start();
    try {
      r.join();
      wr.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    if (failure.get() != null) {
      throw new AssertionError("a thread threw: " + failure.get(), failure.get());
    }
    w.finalCheck.run();
    if (!w.violations.isEmpty()) {
      throw new AssertionError("invariant broken: " + w.violations);
    }
  }

  private static Runnable guard(Runnable body, AtomicReference<Throwable> failure, String who) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) {
        failure.compareAndSet(null, new AssertionError(who + ": " + t, t));
      }
    };
  }

  private static MmStruct mm(VmaLockProtocol p) {
    return MmStruct.builder()
        .rcu(Rcu.builder().reclaimerThread(false).build())
        .cache(new VmAreaCache())
        .protocol(p)
        .build();
  }

  /** The reader's checks on a VMA it got (F1-F3, and that it holds a reference); then release. */
  private static void checkHeld(World w, MmStruct mm, VmArea v, long addr) {
    if (mm.mmapLock().getReadHoldCount() != 0 || mm.mmapLock().isWriteLockedByCurrentThread()) {
      w.violation("returned holding the mmap lock");
    }
    if (v == null) {
      return;
    }
    if (v.mm() != mm) {
      w.violation("F3: got a VMA of another mm: " + v);
    } else if (!v.contains(addr)) {
      w.violation("F1: got a VMA not covering 0x" + Long.toHexString(addr) + ": " + v);
    } else if (!v.isAttached()) {
      w.violation("F2: got a detached VMA: " + v);
    }
    try {
      v.endRead();
    } catch (IllegalStateException e) {
      w.violation("got a VMA without a read reference: " + e.getMessage());
    }
  }

  private static void checkAllRefcntOne(World w, MmStruct mm) {
    mm.mmapReadLock();
    try {
      for (VmArea v = mm.findVma(0); v != null; v = mm.findVma(v.end())) {
        if (v.refcnt() != 1) {
          w.violation("leaked or lost reference: vm_refcnt " + v.refcnt() + " on " + v);
        }
      }
    } finally {
      mm.mmapReadUnlock();
    }
  }

  private static World readerVsUnmapRecycle(VmaLockProtocol p) {
    return vsUnmapRecycle(p, mm -> mm.lockVmaUnderRcu(A));
  }

  private static World unlockedVsUnmapRecycle(VmaLockProtocol p) {
    return vsUnmapRecycle(p, mm -> mm.vmaStartReadUnlocked(A));
  }

  /** {@code read(mm)} of A against {@code munmap(A)}, then an {@code mmap(B)} reusing the VMA. */
  private static World vsUnmapRecycle(VmaLockProtocol p, Function<MmStruct, VmArea> read) {
    World w = new World();
    MmStruct mm = mm(p);
    mm.mmap(A, PAGE, RW);
    w.reader = () -> checkHeld(w, mm, read.apply(mm), A);
    w.writer =
        () -> {
          mm.munmap(A, PAGE);
          mm.mmap(B, PAGE, RW | VmFlags.VM_EXEC);
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  private static World readerVsWriteLock(VmaLockProtocol p) {
    World w = new World();
    MmStruct mm = mm(p);
    mm.mmap(A, PAGE, RW);
    boolean[] inside = new boolean[2]; // [0] reader, [1] writer
    w.reader =
        () -> {
          VmArea r = mm.lockVmaUnderRcu(A);
          if (r != null) {
            inside[0] = true;
            if (inside[1]) {
              w.violation("F4: reader admitted while the writer holds the VMA write-locked");
            }
            inside[0] = false;
            r.endRead();
          }
        };
    w.writer =
        () -> {
          mm.mmapWriteLock();
          try {
            mm.vmaLookup(A).startWrite();
            inside[1] = true;
            if (inside[0]) {
              w.violation("F5: vma_start_write returned while a reader was inside");
            }
            inside[1] = false;
          } finally {
            mm.mmapWriteUnlock();
          }
        };
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }

  private static World unlockedVsMprotect(VmaLockProtocol p) {
    World w = new World();
    MmStruct mm = mm(p);
    mm.mmap(A, PAGE, RW);
    w.reader =
        () -> {
          VmArea v = mm.vmaStartReadUnlocked(A);
          if (v == null) {
            w.violation("vma_start_read_unlocked returned null while A stayed mapped");
          }
          checkHeld(w, mm, v, A);
        };
    w.writer = () -> mm.mprotect(A, PAGE, VmFlags.VM_READ);
    w.finalCheck = () -> checkAllRefcntOne(w, mm);
    return w;
  }
}
