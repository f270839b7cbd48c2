package io.github.vmalock.testkit;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaLockProtocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Checks a user's {@link VmaLockProtocol} against the contract of the per-VMA read paths, the same
 * way for every implementation: {@link #contract} (deterministic scenarios) and {@link #stress}
 * (readers against {@code mmap}/{@code munmap}/{@code mprotect} writers). No test framework is
 * needed: a failed check throws {@link AssertionError} naming the protocol and what broke, so the
 * calls work from JUnit, TestNG or a {@code main} method.
 *
 * <pre>{@code
 * ProtocolCheck.check(new MyProtocol());          // contract, then a one-second stress run
 * }</pre>
 *
 * <p>What is checked, for {@link MmStruct#vmaStartReadUnlocked(long)} run through the protocol:
 *
 * <ul>
 *   <li>on a hit it returns the VMA covering the address, attached, with a read reference held by
 *       the caller, and the caller does not hold the mmap lock;
 *   <li>on a miss (no VMA covers the address) it returns null and the mmap lock is not held;
 *   <li>while a writer holds the VMA write-locked it waits for the writer (the slow path) and then
 *       returns as on a hit, never holding the mmap lock;
 *   <li>a writer ({@code mprotect}, {@code vma_start_write}) waits for a reader that holds the VMA;
 *   <li>under concurrent writers every returned VMA is attached, covers the address and is held.
 * </ul>
 */
public final class ProtocolCheck {

  /*
   * Implementation notes. Each scenario builds its own MmStruct with the protocol under test (debug
   * mode off, so that the checks see what the protocol does rather than the lockdep-like tracker's
   * refusals). "Held by the caller" is checked as vm_refcnt above the attach reference while no
   * other reader exists (contract) or, under stress, as the VMA staying attached until the reader
   * drops it: munmap's detach waits for readers, so a VMA seen detached while held was not held.
   * Waiting is checked with timeouts of a few hundred milliseconds: a protocol that does not wait
   * is reported, a slow machine can only make a correct protocol pass later, not fail.
   */

  private static final long PAGE = MmStruct.PAGE_SIZE;
  private static final long FLAGS = VmFlags.VM_READ | VmFlags.VM_WRITE;
  private static final long WAIT_MS = 200;

  private ProtocolCheck() {}

  /**
   * Runs {@link #contract} and then {@link #stress} for one second.
   *
   * <p>Context: may block (it starts and joins threads); call with no lock held.
   *
   * @param protocol the protocol under test
   * @throws AssertionError on the first broken check
   */
  public static void check(VmaLockProtocol protocol) {
    contract(protocol);
    stress(protocol, Duration.ofSeconds(1));
  }

  /**
   * The deterministic contract checks (hit, miss, slow path behind a writer, writer waits for a
   * reader).
   *
   * <p>Context: may block for about a second in total.
   *
   * @param protocol the protocol under test
   * @throws AssertionError on the first broken check
   */
  public static void contract(VmaLockProtocol protocol) {
    String who = String.valueOf(protocol);
    hit(protocol, who);
    miss(protocol, who);
    slowPathBehindWriter(protocol, who);
    writerWaitsForReader(protocol, who);
  }

  private static MmStruct newMm(VmaLockProtocol protocol) {
    return MmStruct.builder().protocol(protocol).build();
  }

  /*
   * A scenario's mm is closed only when the scenario passed: after a failure a thread may have
   * died holding the mmap lock or a read reference, and exit_mmap would wait for it for ever.
   */
  private static void withMm(VmaLockProtocol protocol, java.util.function.Consumer<MmStruct> body) {
    MmStruct mm = newMm(protocol);
    body.accept(mm);
    mm.close();
  }

  private static void hit(VmaLockProtocol protocol, String who) {
    withMm(
        protocol,
        mm -> {
          VmArea mapped = mm.mmap(4 * PAGE, FLAGS);
          long addr = mapped.start() + PAGE;
          VmArea got = mm.vmaStartReadUnlocked(addr);
          expectReadLocked(mm, got, mapped, addr, who, "hit");
          got.endRead();
        });
  }

  private static void miss(VmaLockProtocol protocol, String who) {
    withMm(
        protocol,
        mm -> {
          VmArea mapped = mm.mmap(4 * PAGE, FLAGS);
          long hole = mapped.end() + 16 * PAGE;
          VmArea got = mm.vmaStartReadUnlocked(hole);
          expectNoMmapLock(mm, who, "miss");
          if (got != null) {
            got.endRead();
            throw fail(who, "miss: returned " + got + " for an address no VMA covers");
          }
        });
  }

  private static void slowPathBehindWriter(VmaLockProtocol protocol, String who) {
    withMm(
        protocol,
        mm -> {
          VmArea mapped = mm.mmap(4 * PAGE, FLAGS);
          long addr = mapped.start();
          CountDownLatch writing = new CountDownLatch(1);
          CountDownLatch release = new CountDownLatch(1);
          Thread writer =
              new Thread(
                  () -> {
                    mm.mmapWriteLock();
                    try {
                      mapped.startWrite();
                      writing.countDown();
                      awaitQuietly(release);
                    } finally {
                      mm.mmapWriteUnlock();
                    }
                  },
                  "protocol-check-writer");
          writer.start();
          awaitQuietly(writing);
          AtomicReference<Throwable> readerFailure = new AtomicReference<>();
          AtomicBoolean returned = new AtomicBoolean();
          Thread reader =
              new Thread(
                  () -> {
                    try {
                      VmArea got = mm.vmaStartReadUnlocked(addr);
                      returned.set(true);
                      expectReadLocked(mm, got, mapped, addr, who, "slow path");
                      got.endRead();
                    } catch (Throwable t) {
                      readerFailure.set(t);
                    }
                  },
                  "protocol-check-reader");
          reader.start();
          joinQuietly(reader, WAIT_MS);
          boolean returnedEarly = returned.get();
          release.countDown();
          joinQuietly(writer, 10_000);
          joinQuietly(reader, 10_000);
          if (reader.isAlive()) {
            throw fail(who, "slow path: the reader did not return after the writer left");
          }
          if (readerFailure.get() != null) {
            throw rethrow(who, readerFailure.get());
          }
          if (returnedEarly) {
            throw fail(who, "slow path: returned while a writer held the VMA write-locked");
          }
        });
  }

  private static void writerWaitsForReader(VmaLockProtocol protocol, String who) {
    withMm(
        protocol,
        mm -> {
          VmArea mapped = mm.mmap(4 * PAGE, FLAGS);
          VmArea got = mm.vmaStartReadUnlocked(mapped.start());
          expectReadLocked(mm, got, mapped, mapped.start(), who, "before the writer");
          AtomicBoolean written = new AtomicBoolean();
          Thread writer =
              new Thread(
                  () -> {
                    mm.mprotect(mapped.start(), 4 * PAGE, VmFlags.VM_READ);
                    written.set(true);
                  },
                  "protocol-check-mprotect");
          writer.start();
          joinQuietly(writer, WAIT_MS);
          boolean early = written.get();
          got.endRead();
          joinQuietly(writer, 10_000);
          if (early) {
            throw fail(who, "vma_start_write: mprotect finished while a reader held the VMA");
          }
          if (writer.isAlive()) {
            throw fail(who, "vma_start_write: mprotect did not finish after the reader left");
          }
        });
  }

  /**
   * Readers calling {@link MmStruct#vmaStartReadUnlocked(long)} against writers that {@code mmap},
   * {@code munmap} and {@code mprotect} the same range, for {@code duration}: every returned VMA
   * must be attached, cover the address, stay attached while held, and be returned without the mmap
   * lock held.
   *
   * <p>Context: blocks for {@code duration} plus the join of its threads.
   *
   * @param protocol the protocol under test
   * @param duration how long the readers and writers run
   * @throws AssertionError on the first broken invariant (or a thread that does not finish)
   */
  public static void stress(VmaLockProtocol protocol, Duration duration) {
    String who = String.valueOf(protocol);
    withMm(
        protocol,
        mm -> {
          long base = mm.mmap(64 * PAGE, FLAGS).start();
          AtomicBoolean stop = new AtomicBoolean();
          AtomicReference<Throwable> failure = new AtomicReference<>();
          List<Thread> threads = new ArrayList<>();
          for (int r = 0; r < 2; r++) {
            threads.add(
                new Thread(
                    () -> {
                      ThreadLocalRandom rnd = ThreadLocalRandom.current();
                      while (!stop.get() && failure.get() == null) {
                        long addr = base + rnd.nextInt(64) * PAGE;
                        VmArea got = mm.vmaStartReadUnlocked(addr);
                        try {
                          expectNoMmapLock(mm, who, "stress");
                          if (got == null) {
                            continue;
                          }
                          if (!got.isAttached() || !got.contains(addr)) {
                            throw fail(who, "stress: returned a detached or stale VMA " + got);
                          }
                          Thread.onSpinWait();
                          if (!got.isAttached()) {
                            throw fail(who, "stress: the VMA was detached while held " + got);
                          }
                        } catch (Throwable t) {
                          failure.compareAndSet(null, t);
                        } finally {
                          if (got != null) {
                            got.endRead();
                          }
                        }
                      }
                    },
                    "protocol-check-stress-reader-" + r));
          }
          threads.add(
              new Thread(
                  () -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (!stop.get() && failure.get() == null) {
                      long page = base + rnd.nextInt(62) * PAGE;
                      try {
                        switch (rnd.nextInt(3)) {
                          case 0 -> mm.munmap(page, 2 * PAGE);
                          case 1 -> mm.mmap(page, 2 * PAGE, FLAGS);
                          default -> mm.mprotect(page, 2 * PAGE, rnd.nextBoolean() ? FLAGS : 0x1L);
                        }
                      } catch (IllegalArgumentException | IllegalStateException e) {
                        // a range that is unmapped or already mapped: bad input, not a protocol
                        // failure
                      } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                      }
                    }
                  },
                  "protocol-check-stress-writer"));
          threads.forEach(Thread::start);
          long end = System.nanoTime() + duration.toNanos();
          while (System.nanoTime() < end && failure.get() == null) {
            sleepQuietly(10);
          }
          stop.set(true);
          for (Thread t : threads) {
            joinQuietly(t, 10_000);
            if (t.isAlive()) {
              throw fail(who, "stress: " + t.getName() + " did not finish (a lost wake-up?)");
            }
          }
          if (failure.get() != null) {
            throw rethrow(who, failure.get());
          }
        });
  }

  private static void expectReadLocked(
      MmStruct mm, VmArea got, VmArea expected, long addr, String who, String what) {
    expectNoMmapLock(mm, who, what);
    if (got == null) {
      throw fail(who, what + ": returned null for an address " + expected + " covers");
    }
    if (got != expected || !got.isAttached() || !got.contains(addr)) {
      throw fail(
          who, what + ": returned a detached or stale VMA " + got + ", expected " + expected);
    }
    if (got.refcnt() < 2) {
      throw fail(who, what + ": returned " + got + " without a read reference (vm_refcnt 1)");
    }
  }

  private static void expectNoMmapLock(MmStruct mm, String who, String what) {
    if (mm.mmapLock().getReadHoldCount() > 0 || mm.mmapLock().isWriteLockedByCurrentThread()) {
      throw fail(who, what + ": returned holding the mmap lock");
    }
  }

  private static AssertionError fail(String who, String message) {
    return new AssertionError("protocol " + who + ": " + message);
  }

  private static AssertionError rethrow(String who, Throwable t) {
    if (t instanceof AssertionError a) {
      return a;
    }
    return new AssertionError("protocol " + who + ": " + t, t);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("protocol check: a scenario thread did not start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static void joinQuietly(Thread t, long millis) {
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
