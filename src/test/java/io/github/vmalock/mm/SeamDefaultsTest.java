package io.github.vmalock.mm;

import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.rcu.RcuProtocol;
import io.github.vmalock.testkit.ProtocolCheck;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The interfaces' default methods are the second copy of the faithful steps (the mm and the RCU
 * domain run the first copy inline): a protocol that overrides nothing, but is not the shared
 * faithful instance, goes through the interface and must behave as the faithful one.
 */
class SeamDefaultsTest {
  private static final long A = 0x10_0000L;

  @Test
  @DisplayName("VmaLockProtocol's defaults pass ProtocolCheck and run through the interface")
  void vmaDefaults() {
    VmaLockProtocol defaults = new VmaLockProtocol() {};
    ProtocolCheck.contract(defaults);
    ProtocolCheck.stress(defaults, Duration.ofMillis(300));
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).protocol(defaults).build();
    assertThat(mm.faithful).isFalse();
    assertThat(mm.strictRefcount).isTrue();
    VmArea v = mm.mmap(A, TestSupport.PAGE, VM_READ | VM_WRITE);
    VmArea r = mm.lockVmaUnderRcu(A);
    assertThat(r).isSameAs(v);
    r.endRead();
    assertThat(mm.lockVmaUnderRcu(A + TestSupport.PAGE)).isNull();
    mm.mprotect(A, TestSupport.PAGE, VM_READ);
    mm.munmap(A, TestSupport.PAGE);
    assertThat(mm.lockVmaUnderRcu(A)).isNull();
    assertThat(mm.vmaStartReadUnlocked(A)).isNull();
    mm.close();
  }

  @Test
  @DisplayName("RcuProtocol's defaults: nested sections and a grace period that waits")
  void rcuDefaults() throws Exception {
    try (Rcu rcu = Rcu.builder().protocol(new RcuProtocol() {}).reclaimerThread(false).build()) {
      rcu.readLock();
      rcu.readLock();
      rcu.readUnlock();
      Thread t = new Thread(rcu::synchronize, "sync");
      t.start();
      t.join(200);
      assertThat(t.isAlive()).as("grace period waits for the outer section").isTrue();
      rcu.readUnlock();
      t.join(10_000);
      assertThat(t.isAlive()).isFalse();
    }
  }
}
