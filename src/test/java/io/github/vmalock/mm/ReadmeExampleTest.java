package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's "Three ways in" example, compiled and run. Keep the two in sync. */
class ReadmeExampleTest {

  @Test
  @DisplayName("README example: lockVmaUnderRcu with an mmap_lock fallback, vmaStartReadUnlocked")
  void readmeExample() {
    long seen = 0;
    // --- README example begins ---
    MmStruct mm = new MmStruct();
    mm.mmap(0x7f00_0000_0000L, 16 * 4096, VmFlags.VM_READ | VmFlags.VM_WRITE);
    long addr = 0x7f00_0000_3000L;

    // A page fault: try the per-VMA lock, fall back to the mmap lock.
    VmArea vma = mm.lockVmaUnderRcu(addr);
    if (vma != null) {
      try {
        seen += vma.flags(); // stable: no writer can change it while we hold the reference
      } finally {
        vma.endRead();
      }
      mm.countVmaLockEvent(VmaLockEvent.SUCCESS);
    } else {
      mm.mmapReadLock();
      try {
        VmArea locked = mm.vmaLookup(addr);
        seen += locked == null ? 0 : locked.flags();
      } finally {
        mm.mmapReadUnlock();
      }
    }

    // The series' helper: waits for a writer instead of failing, never returns holding mmap_lock.
    try (VmaReadGuard g = mm.vmaStartReadUnlockedGuarded(addr)) {
      if (g != null) {
        seen += g.vma().end() - g.vma().start();
      }
    }
    mm.close();
    // --- README example ends ---
    assertThat(seen).isEqualTo((VmFlags.VM_READ | VmFlags.VM_WRITE) + 16 * 4096);
    assertThat(mm.vmaLockStats().success()).isEqualTo(1);
  }
}
