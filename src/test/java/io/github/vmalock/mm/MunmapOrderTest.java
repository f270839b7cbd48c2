package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.rcu.Rcu;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 item 4.4: {@code munmap} detaches each VMA while it is still in the tree, as {@code
 * vms_gather_munmap_vmas()} does ({@code vma_start_write}, {@code vma_mark_detached}, and only then
 * {@code vma_iter_clear_gfp}). A protocol that delegates every step to the faithful defaults leaves
 * a phantom transient reader in the VMA after its write lock, so that {@code vma_mark_detached}
 * calls {@link VmaLockProtocol#detachWait}; there, and after the wait, the test observes the tree
 * and what a lock-free reader gets.
 */
class MunmapOrderTest {
  private static final long A = 0x4000_0000L;

  @Test
  @DisplayName("munmap: the VMA is detached while still in mm_mt; a reader finding it then fails")
  void detachBeforeTreeClear() {
    List<String> seen = new ArrayList<>();
    MmStruct[] self = new MmStruct[1];
    boolean[] armed = new boolean[1];
    VmaLockProtocol probe =
        new VmaLockProtocol() {
          @Override
          public boolean startWrite(VmaLockSteps s, VmArea vma, int seq, boolean interruptible) {
            boolean ok = VmaLockProtocol.super.startWrite(s, vma, seq, interruptible);
            if (armed[0]) {
              // A reader between its limited increment and its sequence check (step 2b-2d).
              assertThat(vma.tryIncrementForRead(self[0].refcntLimit)).isEqualTo(1);
            }
            return ok;
          }

          @Override
          public void detachWait(VmaLockSteps s, VmArea vma) {
            MmStruct mm = self[0];
            seen.add("in tree while detaching: " + (mm.mmMt.load(vma.vmStart) == vma));
            // A reader arriving now: write-locked, so vma_start_read fails; lock_vma_under_rcu
            // gives NULL (fallback), never the VMA.
            seen.add("lock_vma_under_rcu: " + mm.lockVmaUnderRcu(vma.vmStart));
            vma.refcountPut(mm); // the phantom reader backs out
            VmaLockProtocol.super.detachWait(s, vma);
            seen.add("refcnt after detach: " + vma.refcnt());
            seen.add("in tree after detach: " + (mm.mmMt.load(vma.vmStart) == vma));
            // A reader whose walk found it now: still write-locked in this write period, so the
            // early vm_lock_seq check of vma_start_read gives NULL (fallback) before it even sees
            // vm_refcnt 0 (which would give -EAGAIN and a new walk).
            Rcu.Reader rd = mm.rcu().reader();
            rd.lock();
            VmArea r = mm.vmaStartRead(vma);
            seen.add(
                "vma_start_read on the detached VMA: " + (r == MmStruct.EAGAIN ? "EAGAIN" : r));
            seen.add("rcu left: " + !rd.isLocked());
          }
        };
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).protocol(probe).build();
    self[0] = mm;
    try {
      mm.mmap(A, PAGE, VM_READ);
      armed[0] = true;
      mm.munmap(A, PAGE);
      armed[0] = false;
      assertThat(seen)
          .containsExactly(
              "in tree while detaching: true",
              "lock_vma_under_rcu: null",
              "refcnt after detach: 0",
              "in tree after detach: true",
              "vma_start_read on the detached VMA: null",
              "rcu left: true");
      assertThat(mm.mapCount()).isZero();
      mm.mmapReadLock();
      try {
        assertThat(mm.vmaLookup(A)).as("cleared from the tree on return").isNull();
      } finally {
        mm.mmapReadUnlock();
      }
      assertThat(mm.lockVmaUnderRcu(A)).isNull();
    } finally {
      TestSupport.closeIfQuiescent(mm);
    }
  }
}
