package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Focused tests that pin behaviour the mutation run (PIT.md) found unchecked by the other rcu
 * tests, kept small so that the run can afford them for every mutant they cover.
 */
class RcuMutationTest {

  private static Rcu faithful(boolean reclaimerThread) {
    return Rcu.builder().variant(RcuVariant.FAITHFUL).reclaimerThread(reclaimerThread).build();
  }

  @Test
  @DisplayName(
      "registering new readers sweeps the records of dead threads (no grace period needed)")
  void registrationSweepsDeadReaders() throws InterruptedException {
    int batch = 16;
    try (Rcu rcu = faithful(false)) {
      int maxSize = 0;
      for (int i = 0; i < 480; i += batch) {
        Thread[] ts = new Thread[batch];
        for (int j = 0; j < batch; j++) {
          ts[j] =
              new Thread(
                  () -> {
                    rcu.readLock();
                    rcu.readUnlock();
                  });
          ts[j].start();
        }
        for (Thread t : ts) {
          t.join();
        }
        maxSize = Math.max(maxSize, rcu.registrySize());
      }
      // a sweep runs when the registry passes twice the live count plus a slack of 64
      assertThat(maxSize).isLessThan(2 * batch + 64 + batch + 2);
      rcu.synchronize();
      assertThat(rcu.registrySize()).isLessThanOrEqualTo(1);
    }
  }
}
