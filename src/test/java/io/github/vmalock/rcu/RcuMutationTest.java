package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.variants.RcuVariant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Focused tests that pin behaviour the mutation run (docs/mutation-testing.md) found unchecked by
 * the other rcu tests, kept small so that the run can afford them for every mutant they cover.
 */
class RcuMutationTest {

  private static Rcu faithful(boolean reclaimerThread) {
    return Rcu.builder()
        .protocol(RcuVariant.FAITHFUL.protocol())
        .reclaimerThread(reclaimerThread)
        .build();
  }

  @Test
  @DisplayName(
      "registering new readers sweeps the records of dead threads (no grace period needed)")
  void registrationSweepsDeadReaders() throws InterruptedException {
    int batch = 16;
    try (Rcu rcu = faithful(false)) {
      int maxSize = RcuTestSupport.churnShortLivedReaders(rcu, 480, batch);
      // a sweep runs when the registry passes twice the live count plus a slack of 64
      assertThat(maxSize).isLessThan(2 * batch + 64 + batch + 2);
      rcu.synchronize();
      assertThat(rcu.registrySize()).isLessThanOrEqualTo(1);
    }
  }

  @Test
  @DisplayName("the registry holds one record per thread that used the domain")
  void registryCountsRecords() throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      assertThat(rcu.registrySize()).isZero();
      rcu.readLock();
      rcu.readUnlock();
      assertThat(rcu.registrySize()).isEqualTo(1);
      Thread t =
          new Thread(
              () -> {
                rcu.readLock();
                rcu.readUnlock();
              });
      t.start();
      t.join();
      assertThat(rcu.registrySize()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("Reader.isLocked is thread-confined too")
  void isLockedConfined() throws InterruptedException {
    try (Rcu rcu = faithful(false)) {
      Rcu.Reader r = rcu.reader();
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread t =
          new Thread(
              () -> {
                try {
                  r.isLocked();
                } catch (RuntimeException e) {
                  thrown.set(e);
                }
              });
      t.start();
      t.join();
      assertThat(thrown.get()).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  @DisplayName(
      "pollStateSynchronized releases the grace-period lock: another thread can synchronize")
  void pollStateSynchronizedReleasesLock() throws Exception {
    try (Rcu rcu = faithful(false)) {
      long cookie = rcu.pollState();
      assertThat(rcu.pollStateSynchronized(cookie)).isTrue(); // no reader: ends at once
      long next = rcu.pollState();
      CompletableFuture.runAsync(rcu::synchronize).get(30, TimeUnit.SECONDS);
      assertThat(rcu.pollStateSynchronized(next)).isTrue();
    }
  }
}
