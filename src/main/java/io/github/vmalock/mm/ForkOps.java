package io.github.vmalock.mm;

import java.time.Duration;
import java.util.List;

/**
 * {@code fork()}'s address-space copy: {@code dup_mmap()} of mm/mmap.c, the body of {@link
 * MmStruct#dupMmap()}.
 *
 * <p>{@code mmap_write_lock_killable(oldmm)}; then the child's mmap write lock (nested); then, for
 * every parent VMA in address order, {@code vma_start_write_killable(mpnt)} (the kernel's one
 * caller that write-locks every VMA of an mm: it waits out each VMA's readers, and an interrupt
 * ends the fork with {@code -EINTR}), {@code vm_area_dup()} and the store into the child's tree.
 * Both locks are released at the end, which ends every VMA write lock of the parent's period at
 * once.
 *
 * <p>The child shares the parent's VMA cache and RCU domain (the kernel's slab cache and RCU are
 * global) and its configuration: lock mode, debug mode, limits, writer work. What the model leaves
 * out: page tables ({@code copy_page_range}), the {@code anon_vma} chains (a child VMA whose parent
 * VMA has an {@code anon_vma} gets a new one of its own whose {@link AnonVma#parent()} is the
 * parent's, as {@code anon_vma_fork} allocates; the kernel's reuse of an idle {@code anon_vma} in
 * {@code anon_vma_clone} is not modelled), {@code VM_DONTCOPY} and {@code VM_WIPEONFORK} (no such
 * flags in the model), and the {@code khugepaged}/{@code uprobe} hooks.
 */
final class ForkOps {
  /*
   * Implementation notes. The parent's VMAs are write-locked one by one while the parent's mmap
   * write lock is held: a lock-free reader either got its reference before the VMA's
   * vma_start_write (and the fork waits for it to drop it) or fails on the write-locked VMA and
   * falls back to the mmap lock, which it gets after the fork. The child is not published to any
   * other thread until dupMmap returns, so its own write lock only satisfies the model's
   * assertions; the copy needs no ordering of its own.
   */

  private ForkOps() {}

  static MmStruct dupMmap(MmStruct parent) throws InterruptedException {
    MmapOps.beginAddressSpaceOp(parent, "fork");
    MmStruct child = newChild(parent);
    boolean ok = false;
    try {
      parent.mmapWriteLockKillable();
      try {
        MmapOps.checkOpen(parent, "fork");
        List<VmArea> all = VmaOps.collect(parent, 0, -1L);
        child.mmapWriteLock();
        try {
          for (VmArea mpnt : all) {
            mpnt.startWriteInterruptibly(); // vma_start_write_killable
            VmArea tmp = child.cache.alloc(); // vm_area_dup
            tmp.init(child, mpnt.vmStart, mpnt.vmEnd, mpnt.vmPgoff, mpnt.vmFlags);
            AnonVma av = mpnt.anonVma();
            if (av != null) {
              tmp.setAnonVma(new AnonVma(av)); // anon_vma_fork: one of its own, parent linked
            }
            tmp.startWrite();
            tmp.markAttached();
            child.mmMt.storeRange(tmp.vmStart, tmp.vmEnd - 1, tmp);
            child.mapCount++;
          }
        } finally {
          child.mmapWriteUnlock();
        }
      } finally {
        parent.mmapWriteUnlock();
      }
      ok = true;
      return child;
    } finally {
      if (!ok) {
        child.close(); // mmput() of the half-built child
      }
    }
  }

  private static MmStruct newChild(MmStruct parent) {
    return MmStruct.builder()
        .rcu(parent.rcu)
        .cache(parent.cache)
        .lockMode(parent.lockMode)
        .protocol(parent.protocol)
        .refcntLimit(parent.refcntLimit)
        .debug(parent.debug)
        .maxMapCount(parent.maxMapCount())
        .taskSize(parent.taskSize())
        .writerWork(parent.writerWork)
        .rwsemWaitTimeout(Duration.ofNanos(parent.rwsemWaitTimeoutNanos))
        .build();
  }
}
