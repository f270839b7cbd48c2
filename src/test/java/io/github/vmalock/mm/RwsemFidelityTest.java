package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.TestSupport.TIMEOUT_MS;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rwsem behaviour the mmap lock adds in front of {@link
 * java.util.concurrent.locks.ReentrantReadWriteLock}: trylock fails with waiters, the writer's
 * handoff, and {@code munmap}'s downgrade with the page-table work after it. Ordering is forced
 * with latches and thread states, never with timing assertions.
 */
class RwsemFidelityTest {
  private static final long A = 0x10_0000L;
  private MmStruct mm;

  @AfterEach
  void tearDown() {
    if (mm != null) {
      TestSupport.closeIfQuiescent(mm);
    }
  }

  /** Starts a thread that takes the mmap read lock, signals, and holds it until released. */
  private static Thread holdRead(MmStruct mm, CountDownLatch held, CountDownLatch release) {
    Thread t =
        new Thread(
            () -> {
              mm.mmapReadLock();
              held.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                mm.mmapReadUnlock();
              }
            },
            "reader-hog");
    t.start();
    return t;
  }

  @Test
  @DisplayName(
      "mmap_read_trylock fails while a writer waits (RWSEM_FLAG_WAITERS), though readers hold")
  void trylockRefusesWithQueuedWriter() throws Exception {
    mm = MmStruct.builder().rwsemWaitTimeout(Duration.ofHours(1)).build();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread hog = holdRead(mm, held, release);
    held.await();
    assertThat(mm.mmapReadTrylock()).as("no waiter yet: a reader may share").isTrue();
    mm.mmapReadUnlock();
    Thread writer = new Thread(() -> mm.munmap(A, PAGE), "writer");
    writer.start();
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (!mm.mmapLock().hasQueuedThread(writer)) {
      assertThat(System.currentTimeMillis()).as("writer never queued").isLessThan(deadline);
      Thread.sleep(1);
    }
    assertThat(mm.mmapReadTrylock()).as("a queued writer makes trylock fail").isFalse();
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    release.countDown();
    hog.join(TIMEOUT_MS);
    writer.join(TIMEOUT_MS);
    assertThat(writer.isAlive()).isFalse();
    assertThat(mm.mmapReadTrylock()).as("nobody waits any more").isTrue();
    mm.mmapReadUnlock();
    assertThat(mm.rwsemHandoffs()).as("the writer never waited an hour").isZero();
  }

  @Test
  @DisplayName("a writer that waited past RWSEM_WAIT_TIMEOUT sets the handoff: nobody overtakes it")
  void handoffWriterIsNotOvertaken() throws Exception {
    mm = MmStruct.builder().rwsemWaitTimeout(Duration.ofMillis(1)).build();
    mm.mmap(A, PAGE, VM_READ | VM_WRITE);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> order = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // The hog holds the read lock; when released it drops it and at once wants the write lock,
    // which a non-fair ReentrantReadWriteLock would grant it before the woken writer runs.
    Thread hog =
        new Thread(
            () -> {
              try {
                mm.mmapReadLock();
                held.countDown();
                release.await();
                mm.mmapReadUnlock();
                mm.mmapWriteLock();
                order.add("hog");
                mm.mmapWriteUnlock();
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "hog");
    hog.start();
    held.await();
    Thread writer =
        new Thread(
            () -> {
              mm.mmapWriteLock();
              order.add("writer");
              mm.mmapWriteUnlock();
            },
            "writer");
    writer.start();
    long deadline = System.currentTimeMillis() + TIMEOUT_MS;
    while (mm.rwsemHandoffs() == 0) {
      assertThat(System.currentTimeMillis()).as("the handoff was never set").isLessThan(deadline);
      Thread.sleep(1);
    }
    assertThat(mm.mmapReadTrylock()).as("trylock during the handoff").isFalse();
    Thread reader =
        new Thread(
            () -> {
              mm.mmapReadLock();
              order.add("reader");
              mm.mmapReadUnlock();
            },
            "reader");
    reader.start();
    TestSupport.awaitWaiting(reader);
    assertThat(order).as("nothing got the lock while the hog holds it").isEmpty();
    release.countDown();
    hog.join(TIMEOUT_MS);
    writer.join(TIMEOUT_MS);
    reader.join(TIMEOUT_MS);
    assertThat(failure.get()).isNull();
    assertThat(order).hasSize(3);
    assertThat(order.get(0)).as("the handoff writer goes first").isEqualTo("writer");
    assertThat(mm.rwsemHandoffs()).isEqualTo(1);
  }

  @Test
  @DisplayName("rwsemWaitTimeout refuses zero, negative, null and absurd values")
  void handoffTimeoutBadInput() {
    MmStruct.Builder b = MmStruct.builder();
    assertThatThrownBy(() -> b.rwsemWaitTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> b.rwsemWaitTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.rwsemWaitTimeout(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.rwsemWaitTimeout(Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 hour");
    assertThatThrownBy(() -> b.writerWork(null)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Records, from inside the hook, what the calling thread holds. */
  private static final class Recorder implements WriterWork {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile MmStruct mm;
    volatile Runnable duringTeardown = () -> {};

    private String state() {
      var lock = mm.mmapLock();
      return (lock.isWriteLockedByCurrentThread() ? "W" : "")
          + (lock.getReadHoldCount() > 0 ? "R" : "")
          + " seq-odd="
          + ((mm.mmLockSeq() & 1) == 1);
    }

    @Override
    public void underWriteLock(Op op, long pages) {
      calls.add(op + " under " + state() + " pages=" + pages);
    }

    @Override
    public void afterDowngrade(Op op, long pages) {
      calls.add(op + " after " + state() + " pages=" + pages);
      duringTeardown.run();
    }
  }

  @Test
  @DisplayName(
      "munmap downgrades before the teardown; mprotect and MAP_FIXED work under the write lock")
  void writerWorkFallsWhereTheKernelDoesIt() throws Exception {
    Recorder rec = new Recorder();
    mm = MmStruct.builder().writerWork(rec).build();
    rec.mm = mm;
    mm.mmap(A, 8 * PAGE, VM_READ | VM_WRITE);
    mm.mmap(A + 16 * PAGE, PAGE, VM_READ);
    assertThat(rec.calls)
        .containsExactly("MMAP under W seq-odd=true pages=0", "MMAP under W seq-odd=true pages=0");
    rec.calls.clear();

    mm.mprotect(A + 2 * PAGE, 3 * PAGE, VM_READ);
    mm.mprotect(A + 2 * PAGE, 3 * PAGE, VM_READ); // no change: no work
    assertThat(rec.calls).containsExactly("MPROTECT under W seq-odd=true pages=3");
    rec.calls.clear();

    mm.mmap(A + 6 * PAGE, 4 * PAGE, VM_READ | VM_WRITE); // replaces 2 mapped pages (6, 7)
    assertThat(rec.calls).containsExactly("MMAP under W seq-odd=true pages=2");
    rec.calls.clear();

    // During munmap's teardown: the range is gone, other VMAs lock per VMA, readers share.
    AtomicReference<String> seen = new AtomicReference<>();
    rec.duringTeardown =
        () -> {
          Thread other =
              new Thread(
                  () -> {
                    VmArea v = mm.lockVmaUnderRcu(A + 16 * PAGE);
                    boolean shared = mm.mmapReadTrylock();
                    if (shared) {
                      mm.mmapReadUnlock();
                    }
                    VmArea gone = mm.lockVmaUnderRcu(A);
                    seen.set(
                        "other-vma="
                            + (v != null)
                            + " shared="
                            + shared
                            + " gone="
                            + (gone == null));
                    if (v != null) {
                      v.endRead();
                    }
                    if (gone != null) {
                      gone.endRead();
                    }
                  });
          other.start();
          try {
            other.join(TIMEOUT_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    int before = mm.mapCount();
    mm.munmap(A, 4 * PAGE); // [A, A+2) rw and [A+2, A+4) of the r-- piece: 4 pages
    assertThat(rec.calls).containsExactly("MUNMAP after R seq-odd=false pages=4");
    assertThat(seen.get()).isEqualTo("other-vma=true shared=true gone=true");
    assertThat(mm.mapCount()).isEqualTo(before - 1);
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    rec.calls.clear();
    rec.duringTeardown = () -> {};

    mm.munmap(A + 100 * PAGE, PAGE); // a hole: no work, no downgrade
    assertThat(rec.calls).isEmpty();
    mm.assertQuiescent();
  }

  @Test
  @DisplayName("lock_next_vma's mmap_lock fallback fails with EAGAIN at VM_REFCNT_LIMIT")
  void lockNextVmaOverflowIsEagain() {
    mm = MmStruct.builder().refcntLimit(2).build();
    VmArea v = mm.mmap(A, PAGE, VM_READ);
    VmArea r = mm.lockVmaUnderRcu(A);
    assertThat(r).isSameAs(v);
    try {
      assertThatThrownBy(() -> mm.lockNextVma(0))
          .isInstanceOf(MmErrnoException.class)
          .hasMessageStartingWith("EAGAIN")
          .hasMessageContaining("VM_REFCNT_LIMIT")
          .satisfies(e -> assertThat(((MmErrnoException) e).errno()).isEqualTo(Errno.EAGAIN));
      assertThat(mm.mmapLock().getReadHoldCount()).isZero();
      assertThat(v.refcnt()).isEqualTo(2);
    } finally {
      r.endRead();
    }
  }

  @Test
  @DisplayName("MmErrnoException names its errno and refuses a null one")
  void errnoException() {
    MmErrnoException e = new MmErrnoException(Errno.ENOMEM, "no room");
    assertThat(e).hasMessage("ENOMEM: no room").isInstanceOf(IllegalStateException.class);
    assertThat(new MmErrnoException(Errno.EAGAIN, "EAGAIN: x")).hasMessage("EAGAIN: x");
    assertThat(Errno.EAGAIN.number()).isEqualTo(11);
    assertThat(Errno.ENOMEM.number()).isEqualTo(12);
    assertThatThrownBy(() -> new MmErrnoException(null, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
