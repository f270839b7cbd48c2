package io.github.vmalock.mm;

/**
 * The page-fault path of an {@link MmStruct} as far as it changes the address space: {@code
 * handle_mm_fault} reached from {@code do_user_addr_fault} ({@code arch/x86/mm/fault.c}), with
 * {@code vmf_anon_prepare} ({@code mm/memory.c}) and {@code __anon_vma_prepare} / {@code
 * find_mergeable_anon_vma} ({@code mm/rmap.c}, {@code mm/vma.c}).
 *
 * <p>Package-private: {@link MmStruct#handleMmFault(long, boolean)} carries the contract and
 * delegates here.
 */
final class FaultOps {
  /*
   * Implementation notes: handleMmFault (the fault path of arch/x86/mm/fault.c's
   * do_user_addr_fault with mm/memory.c's vmf_anon_prepare and mm/rmap.c's __anon_vma_prepare).
   *
   * 1. lock_vma_under_rcu first. A bad access (write to a VMA without VM_WRITE, any access to one
   *    without VM_ACCESS_FLAGS) ends the fault under the VMA lock with SIGSEGV, as the kernel's
   *    "bad_area_access_error" after lock_vma_under_rcu. A read fault is done (the zero page needs
   *    no anon_vma). A write fault whose VMA has its anon_vma is done.
   * 2. Otherwise vmf_anon_prepare: under the VMA lock it tries mmap_read_trylock; if that fails it
   *    returns VM_FAULT_RETRY, the VMA lock is dropped and the fault starts again under the mmap
   *    read lock (lock_mm_and_find_vma, which also grows a VM_GROWSDOWN stack).
   * 3. __anon_vma_prepare under the mmap read lock: find_mergeable_anon_vma (the next VMA's, then
   *    the previous one's, when anon_vma_compatible and the neighbour's is not forked), else a new
   *    one; then the publication. The kernel publishes under mm->page_table_lock with a re-check
   *    of vma->anon_vma; the model publishes with one compare-and-exchange from null on the VMA's
   *    field, which has the same effect: two faults racing on the same VMA agree on the winner's
   *    anon_vma, the loser's object is dropped (the kernel frees its allocation).
   *
   * Memory ordering: the compare-and-exchange is volatile, so the AnonVma (immutable, final
   * fields) is safely published to every thread that reads the field with getAcquire. The field
   * is otherwise written only under the mmap write lock (split, merge, mremap, init), which the
   * fault's mmap read hold excludes, so a CAS never races a plain store; the rwsem's release and
   * acquire order a CAS before any later writer's read of the field. find_mergeable_anon_vma reads
   * neighbours under the same mmap read hold: their ranges, flags and pgoff are stable, and their
   * anon_vma is either null or final for the hold (a racing fault on a neighbour may still set it;
   * reading null then only means the two VMAs get different anon_vmas, as in the kernel's race).
   */

  /** The contract is {@link MmStruct#handleMmFault(long, boolean)}. */
  static AnonVma handleMmFault(MmStruct mm, long addr, boolean write) {
    if (addr < 0 || addr >= mm.taskSize) {
      throw new MmErrnoException(
          Errno.EFAULT,
          "fault at 0x"
              + Long.toHexString(addr)
              + ": outside the user address space [0, 0x"
              + Long.toHexString(mm.taskSize)
              + ")");
    }
    MmapOps.checkOpen(mm, "fault");
    mm.mightSleep("handle_mm_fault");
    VmArea vma = mm.lockVmaUnderRcu(addr);
    if (vma != null) {
      boolean retry = false;
      try {
        checkFaultAccess(vma, addr, write);
        if (!write) {
          return null;
        }
        AnonVma av = vma.anonVma();
        if (av != null) {
          return av;
        }
        if (mm.mmapReadTrylock()) {
          try {
            return anonVmaPrepare(mm, vma);
          } finally {
            mm.mmapReadUnlock();
          }
        }
        retry = true; // VM_FAULT_RETRY
      } finally {
        vma.endRead();
      }
      assert retry;
    }
    vma = mm.lockMmAndFindVma(addr);
    if (vma == null) {
      throw new MmErrnoException(
          Errno.EFAULT, "fault at 0x" + Long.toHexString(addr) + ": no VMA (SIGSEGV)");
    }
    try {
      checkFaultAccess(vma, addr, write);
      return write ? anonVmaPrepare(mm, vma) : null;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  private static void checkFaultAccess(VmArea vma, long addr, boolean write) {
    long need = write ? VmFlags.VM_WRITE : VmFlags.VM_ACCESS_FLAGS;
    if ((vma.vmFlags & need) == 0) {
      throw new MmErrnoException(
          Errno.EFAULT,
          (write ? "write" : "read")
              + " fault at 0x"
              + Long.toHexString(addr)
              + " not permitted by "
              + vma
              + " (SIGSEGV, access_error)");
    }
  }

  /**
   * {@code __anon_vma_prepare}: mmap lock held (read suffices); see the notes above.
   *
   * @return the VMA's anon_vma (this fault's or a concurrent one's)
   */
  private static AnonVma anonVmaPrepare(MmStruct mm, VmArea vma) {
    AnonVma av = vma.anonVma();
    if (av != null) {
      return av;
    }
    AnonVma found = findMergeableAnonVma(mm, vma);
    return vma.casAnonVma(found != null ? found : new AnonVma(null));
  }

  /** {@code find_mergeable_anon_vma}: the next VMA's first, then the previous one's. */
  private static AnonVma findMergeableAnonVma(MmStruct mm, VmArea vma) {
    VmArea next = mm.mmMt.load(vma.vmEnd);
    if (next != null) {
      AnonVma av = reusableAnonVma(next, vma, next);
      if (av != null) {
        return av;
      }
    }
    VmArea prev = vma.vmStart > 0 ? mm.mmMt.load(vma.vmStart - 1) : null;
    return prev == null ? null : reusableAnonVma(prev, prev, vma);
  }

  /**
   * {@code reusable_anon_vma} with {@code anon_vma_compatible(a, b)}: adjacent, flags equal but for
   * the access bits, contiguous {@code pgoff}; the old VMA's anon_vma not forked (a singular {@code
   * anon_vma_chain}).
   */
  private static AnonVma reusableAnonVma(VmArea old, VmArea a, VmArea b) {
    boolean compatible =
        a.vmEnd == b.vmStart
            && ((a.vmFlags ^ b.vmFlags) & ~VmFlags.VM_ACCESS_FLAGS) == 0
            && b.vmPgoff == a.vmPgoff + ((b.vmStart - a.vmStart) >>> VmArea.PAGE_SHIFT);
    if (!compatible) {
      return null;
    }
    AnonVma av = old.anonVma();
    return av != null && av.parent() == null ? av : null;
  }

  private FaultOps() {}
}
