package io.github.vmalock.examples;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.mm.VmaLockSteps;
import io.github.vmalock.testkit.ProtocolCheck;
import io.github.vmalock.variants.ProtocolVariant;
import org.junit.jupiter.api.Test;

/**
 * "Check your own protocol" ({@code docs/check-your-protocol.md}): the v1 {@code
 * lock_vma_under_rcu_wait} passes {@link ProtocolCheck}, the faithful protocol passes, and two
 * deliberately broken copies of v1 fail it.
 */
class CheckYourProtocolTest {

  @Test
  void v1LockVmaUnderRcuWaitPasses() {
    ProtocolCheck.check(new V1LockVmaUnderRcuWait());
  }

  @Test
  void faithfulPasses() {
    ProtocolCheck.check(VmaLockProtocol.faithful());
  }

  @Test
  void faithfulVariantPasses() {
    ProtocolCheck.contract(ProtocolVariant.FAITHFUL.protocol());
  }

  /** v1 with the unlock forgotten on the slow path's hit: returns holding the mmap read lock. */
  static final class ReturnsHoldingMmapLock implements VmaLockProtocol {
    @Override
    public VmArea startReadUnlocked(VmaLockSteps s, long addr) {
      VmArea vma = s.lockVmaUnderRcu(addr);
      if (vma != null) {
        return vma;
      }
      s.mmapReadLock();
      vma = s.lookup(addr);
      if (vma == null) {
        s.mmapReadUnlock();
        return null;
      }
      s.startReadLocked(vma);
      return vma; // the mmap lock is still held
    }
  }

  /** v1 returning what {@code vma_lookup} found, without taking a reference: a stale pointer. */
  static final class ReturnsStalePointer implements VmaLockProtocol {
    @Override
    public VmArea startReadUnlocked(VmaLockSteps s, long addr) {
      VmArea vma = s.lockVmaUnderRcu(addr);
      if (vma != null) {
        return vma;
      }
      s.mmapReadLock();
      try {
        return s.lookup(addr); // not read-locked: stale as soon as the mmap lock is dropped
      } finally {
        s.mmapReadUnlock();
      }
    }
  }

  @Test
  void returningWithTheMmapLockHeldFails() {
    assertThatThrownBy(() -> ProtocolCheck.contract(new ReturnsHoldingMmapLock()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("holding the mmap lock");
  }

  @Test
  void returningAStalePointerFails() {
    assertThatThrownBy(() -> ProtocolCheck.contract(new ReturnsStalePointer()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("without a read reference");
  }
}
