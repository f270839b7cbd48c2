package io.github.vmalock.mm;

import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Single-threaded contracts of the address-space operations and the read-lock entry points. */
class MmStructBasicTest {
  private static final long PAGE = 4096;
  private final MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();

  @AfterEach
  void tearDown() {
    TestSupport.closeIfQuiescent(mm);
  }

  @Test
  @DisplayName("mmap fixed, lockVmaUnderRcu, endRead: refcnt 1 -> 2 -> 1")
  void mmapThenLockUnderRcu() {
    VmArea v = mm.mmap(0x100000, 4 * PAGE, VM_READ | VM_WRITE);
    assertThat(v.start()).isEqualTo(0x100000);
    assertThat(v.end()).isEqualTo(0x100000 + 4 * PAGE);
    assertThat(v.pgoff()).isEqualTo(0x100000 >>> 12);
    assertThat(v.refcnt()).isEqualTo(1);
    assertThat(mm.mapCount()).isEqualTo(1);
    VmArea r = mm.lockVmaUnderRcu(0x100000 + PAGE + 5);
    assertThat(r).isSameAs(v);
    assertThat(r.refcnt()).isEqualTo(2);
    r.endRead();
    assertThat(v.refcnt()).isEqualTo(1);
    assertThat(mm.lockVmaUnderRcu(0x100000 + 4 * PAGE)).isNull();
    assertThat(mm.vmaLockStats().abort()).isEqualTo(1);
  }

  @Test
  @DisplayName(
      "vma_start_read_unlocked: returns a read-locked VMA, null for a hole, no mmap_lock held")
  void vmaStartReadUnlockedBasic() {
    VmArea v = mm.mmap(0x200000, PAGE, VM_READ);
    VmArea r = mm.vmaStartReadUnlocked(0x200000);
    assertThat(r).isSameAs(v);
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    r.endRead();
    assertThat(mm.vmaStartReadUnlocked(0x300000)).isNull();
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
  }

  @Test
  @DisplayName("munmap splits, mprotect splits and merges back")
  void splitAndMerge() {
    mm.mmap(0x400000, 8 * PAGE, VM_READ | VM_WRITE);
    mm.munmap(0x400000 + 2 * PAGE, 2 * PAGE);
    assertThat(mm.mapCount()).isEqualTo(2);
    mm.mprotect(0x400000 + 5 * PAGE, PAGE, VM_READ);
    assertThat(mm.mapCount()).isEqualTo(4);
    mm.mprotect(0x400000 + 5 * PAGE, PAGE, VM_READ | VM_WRITE);
    assertThat(mm.mapCount()).isEqualTo(2);
    assertThat(mm.dumpMaps())
        .isEqualTo(
            "00400000-00402000 rw-p 00000000 00:00 0%n00404000-00408000 rw-p 00000000 00:00 0%n"
                .formatted());
    assertThatThrownBy(() -> mm.mprotect(0x400000, 8 * PAGE, VM_READ))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ENOMEM");
    assertThat(mm.mapCount()).isEqualTo(2);
  }
}
