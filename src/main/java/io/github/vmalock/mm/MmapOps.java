package io.github.vmalock.mm;

import java.util.ArrayList;
import java.util.List;

/**
 * The system-call half of the address-space operations, the model's {@code mm/mmap.c} and {@code
 * mm/mprotect.c}: {@code do_mmap} (fixed and top-down), {@code get_unmapped_area}'s {@code
 * unmapped_area_topdown}, {@code __vm_munmap}, {@code exit_mmap}, {@code find_vma} and {@code
 * find_vma_prev}, {@code expand_downwards} for {@link MmStruct#lockMmAndFindVma(long)}, and {@code
 * do_mprotect_pkey}. Each public address-space method of {@link MmStruct} delegates here; the VMA
 * surgery underneath (split, merge, remove, {@code map_count}) is {@link VmaOps}.
 */
final class MmapOps {
  /*
   * Implementation notes.
   *
   * The shape of every operation, as the kernel's system calls:
   *   1. Check the arguments (alignment, length, wrap-around, MmStruct.taskSize(), flag bits):
   *      IllegalArgumentException naming the value, nothing taken, nothing changed.
   *   2. Check the mm is open, that the calling thread does not hold its mmap lock (the kernel
   *      would self-deadlock) and is not inside MmStruct.noSleep(Runnable): IllegalStateException,
   *      nothing taken.
   *   3. Take the mmap write lock (MmStruct.mmapWriteLock(): mm_lock_seq becomes odd), check again
   *      that the mm is open (close() may have run while we waited), do the work through VmaOps,
   *      and release the lock in a finally, which ends every VMA write lock of the period at once
   *      (vma_end_write_all). An exception thrown by the work (ENOMEM) is thrown before anything
   *      changed, so the lock is released over an untouched address space. munmap differs, as the
   *      kernel's: once the VMAs are detached and out of the tree it downgrades to the read lock
   *      (vms_complete_munmap_vmas()), does the page-table work (WriterWork.afterDowngrade) and
   *      frees under it.
   *
   * Memory ordering. None of its own: the mmap write lock's acquire and release order successive
   * writers, and readers are ordered against the writer by the tree's publication and by
   * mm_lock_seq (see MmStruct and VmaOps). The lookups (find_vma, find_vma_prev) are plain tree
   * walks, exact because the caller holds the mmap lock.
   *
   * Known weak points. mprotect over a hole changes the mapped part before the hole and then fails
   * with ENOMEM, as the kernel's walk does; it plans its map_count by simulating the merges before
   * changing anything. Stack expansion checks the guard gap and mmap_min_addr, not rlimits.
   * Unaligned lengths are refused where the kernel rounds them up.
   */

  private MmapOps() {}

  // ---- do_mmap and get_unmapped_area
  // -------------------------------------------------------------

  /**
   * {@code do_mmap} with {@code MAP_FIXED}: the body of {@link MmStruct#mmap(long, long, long)}.
   */
  static VmArea mmapFixed(MmStruct mm, long addr, long length, long vmFlags) {
    checkRange(mm, "mmap", addr, length);
    if (addr < MmStruct.MMAP_MIN_ADDR) {
      // security_mmap_addr(): MAP_FIXED below mmap_min_addr fails with EPERM.
      throw new MmErrnoArgumentException(
          Errno.EPERM,
          "mmap: addr 0x"
              + Long.toHexString(addr)
              + " is below MMAP_MIN_ADDR 0x"
              + Long.toHexString(MmStruct.MMAP_MIN_ADDR)
              + " (mmap_min_addr: the kernel refuses it with EPERM)");
    }
    VmFlags.checkDefined(vmFlags);
    beginAddressSpaceOp(mm, "mmap");
    mm.mmapWriteLock();
    try {
      checkOpen(mm, "mmap");
      return VmaOps.mmapRegion(mm, addr, addr + length, vmFlags);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * {@code do_mmap} without an address: the body of {@link MmStruct#mmap(long, long)}, placing the
   * mapping through {@link #unmappedAreaTopdown}.
   */
  static VmArea mmapTopdown(MmStruct mm, long length, long vmFlags) {
    checkLength("mmap", length);
    VmFlags.checkDefined(vmFlags);
    long taskSize = mm.taskSize();
    if (length > taskSize - MmStruct.MMAP_MIN_ADDR) {
      // get_unmapped_area(): a length larger than the mappable space is -ENOMEM.
      throw new MmErrnoArgumentException(
          Errno.ENOMEM,
          "mmap: length 0x"
              + Long.toHexString(length)
              + " exceeds the address space below taskSize 0x"
              + Long.toHexString(taskSize));
    }
    beginAddressSpaceOp(mm, "mmap");
    mm.mmapWriteLock();
    try {
      checkOpen(mm, "mmap");
      long addr = unmappedAreaTopdown(mm, length);
      VmArea vma = VmaOps.mmapRegion(mm, addr, addr + length, vmFlags);
      assert vma.contains(addr);
      return vma;
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * {@code do_mmap} for private anonymous memory as the system call sees it: the body of {@link
   * MmStruct#mmap(long, long, int, int)}. The order of the checks is the kernel's: zero length
   * (EINVAL), the hint rounded ({@code round_hint_to_min}), the length rounded up ({@code
   * PAGE_ALIGN}, ENOMEM on overflow), the range past {@code TASK_SIZE} (ENOMEM), an unaligned fixed
   * address (EINVAL), {@code mmap_min_addr} (EPERM), then under the write lock {@code
   * MAP_FIXED_NOREPLACE} over a mapping (EEXIST) and the placement.
   */
  static long mmapSyscall(MmStruct mm, long addr, long len, int prot, int flags) {
    if ((prot & ~Mman.PROT_ALL) != 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL, "mmap: prot 0x" + Integer.toHexString(prot) + " has unknown bits");
    }
    if ((flags & ~Mman.MAP_SUPPORTED) != 0
        || (flags & Mman.MAP_PRIVATE) == 0
        || (flags & Mman.MAP_ANONYMOUS) == 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL,
          "mmap: flags 0x"
              + Integer.toHexString(flags)
              + ": the model maps MAP_PRIVATE | MAP_ANONYMOUS memory only, with MAP_FIXED,"
              + " MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_NORESERVE");
    }
    if (len == 0) {
      throw new MmErrnoArgumentException(Errno.EINVAL, "mmap: length must be positive: 0");
    }
    boolean fixed = (flags & (Mman.MAP_FIXED | Mman.MAP_FIXED_NOREPLACE)) != 0;
    if (!fixed) {
      addr &= -MmStruct.PAGE_SIZE; // round_hint_to_min()
      if (addr != 0 && Long.compareUnsigned(addr, MmStruct.MMAP_MIN_ADDR) < 0) {
        addr = MmStruct.MMAP_MIN_ADDR;
      }
    }
    long length = (len + MmStruct.PAGE_SIZE - 1) & -MmStruct.PAGE_SIZE;
    long taskSize = mm.taskSize();
    if (length == 0 || Long.compareUnsigned(length, taskSize - MmStruct.MMAP_MIN_ADDR) > 0) {
      throw new MmErrnoArgumentException(
          Errno.ENOMEM,
          "mmap: length 0x" + Long.toHexString(len) + " exceeds the address space below taskSize");
    }
    if (fixed) {
      if (Long.compareUnsigned(addr, taskSize - length) > 0) {
        throw new MmErrnoArgumentException(
            Errno.ENOMEM, "mmap: range at 0x" + Long.toHexString(addr) + " ends past taskSize");
      }
      if ((addr & (MmStruct.PAGE_SIZE - 1)) != 0) {
        throw new MmErrnoArgumentException(
            Errno.EINVAL, "mmap: addr 0x" + Long.toHexString(addr) + " is not page aligned");
      }
    }
    long vmFlags = prot;
    if ((flags & Mman.MAP_GROWSDOWN) != 0) {
      vmFlags |= VmFlags.VM_GROWSDOWN;
    }
    if ((flags & Mman.MAP_NORESERVE) != 0) {
      vmFlags |= VmFlags.VM_NORESERVE;
    } else if ((prot & Mman.PROT_WRITE) != 0) {
      vmFlags |= VmFlags.VM_ACCOUNT; // accountable_mapping(): private, writable, reserved
    }
    if (fixed) {
      if (addr < MmStruct.MMAP_MIN_ADDR) {
        throw new MmErrnoArgumentException(
            Errno.EPERM,
            "mmap: addr 0x"
                + Long.toHexString(addr)
                + " is below MMAP_MIN_ADDR (security_mmap_addr)");
      }
    }
    beginAddressSpaceOp(mm, "mmap");
    mm.mmapWriteLock();
    try {
      checkOpen(mm, "mmap");
      long start;
      if (fixed) {
        if ((flags & Mman.MAP_FIXED_NOREPLACE) != 0) {
          VmArea v = findVma(mm, addr);
          if (v != null && v.vmStart < addr + length) {
            throw new MmErrnoException(
                Errno.EEXIST,
                "mmap: MAP_FIXED_NOREPLACE [0x"
                    + Long.toHexString(addr)
                    + ", 0x"
                    + Long.toHexString(addr + length)
                    + ") overlaps "
                    + v);
          }
        }
        start = addr;
      } else if (addr != 0 && hintUsable(mm, addr, length)) {
        start = addr;
      } else {
        start = unmappedAreaTopdown(mm, length);
      }
      VmaOps.mmapRegion(mm, start, start + length, vmFlags);
      return start;
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * The hint test of {@code arch_get_unmapped_area_topdown}: in range, and free of the previous
   * VMA's end and of the next VMA's {@code vm_start_gap()}. Mmap write lock held.
   */
  private static boolean hintUsable(MmStruct mm, long addr, long length) {
    if (addr < MmStruct.MMAP_MIN_ADDR || addr > mm.taskSize() - length) {
      return false;
    }
    VmArea next = findVma(mm, addr);
    if (next != null) {
      long gapStart = next.vmStart;
      if ((next.vmFlags & VmFlags.VM_GROWSDOWN) != 0) {
        gapStart = Math.max(0, next.vmStart - MmStruct.STACK_GUARD_GAP);
      }
      if (next.vmStart <= addr || addr + length > gapStart) {
        return false;
      }
    }
    return true;
  }

  /** The VMA list as values, under the mmap read lock unless the caller holds the mmap lock. */
  static List<VmaSnapshot> snapshot(MmStruct mm) {
    boolean locked =
        mm.mmapLock().isWriteLockedByCurrentThread() || mm.mmapLock().getReadHoldCount() > 0;
    if (!locked) {
      mm.mmapReadLock();
    }
    try {
      List<VmaSnapshot> out = new ArrayList<>();
      for (VmArea v : VmaOps.collect(mm, 0, -1L)) {
        out.add(new VmaSnapshot(v.vmStart, v.vmEnd, v.vmFlags, v.vmPgoff));
      }
      return List.copyOf(out);
    } finally {
      if (!locked) {
        mm.mmapReadUnlock();
      }
    }
  }

  /**
   * {@code unmapped_area_topdown()}: the highest page-aligned start of a free range of {@code
   * length} bytes in {@code [MMAP_MIN_ADDR, taskSize)} that also keeps {@link
   * MmStruct#STACK_GUARD_GAP} below a following {@code VM_GROWSDOWN} VMA ({@code vm_start_gap()}):
   * when the gap the tree finds ends inside a stack's guard gap, the search is retried below the
   * guard gap, as the kernel's {@code retry} does. Mmap write lock held.
   *
   * @throws IllegalStateException with "ENOMEM" if there is no such range
   */
  static long unmappedAreaTopdown(MmStruct mm, long length) {
    long high = mm.taskSize() - 1;
    for (; ; ) {
      long addr;
      try {
        if (high < MmStruct.MMAP_MIN_ADDR || high - MmStruct.MMAP_MIN_ADDR + 1 < length) {
          throw new IllegalStateException("busy: no window of 0x" + Long.toHexString(length));
        }
        addr = mm.mmMt.emptyAreaRev(MmStruct.MMAP_MIN_ADDR, high, length);
      } catch (IllegalStateException busy) {
        throw new MmErrnoException(
            Errno.ENOMEM,
            "mmap found no free range of 0x"
                + Long.toHexString(length)
                + " bytes below taskSize 0x"
                + Long.toHexString(mm.taskSize()),
            busy);
      }
      VmArea next = findVma(mm, addr + length);
      if (next == null || (next.vmFlags & VmFlags.VM_GROWSDOWN) == 0) {
        return addr;
      }
      long startGap = next.vmStart - MmStruct.STACK_GUARD_GAP; // vm_start_gap()
      if (startGap > next.vmStart) {
        startGap = 0; // underflow clamps to 0, as in the kernel
      }
      if (startGap >= addr + length) {
        return addr;
      }
      high = startGap - 1;
    }
  }

  // ---- munmap and exit_mmap
  // ----------------------------------------------------------------------

  /**
   * {@code __vm_munmap(unlock = true)}: the body of {@link MmStruct#munmap(long, long)}. Under the
   * write lock: split, write-lock and detach each VMA (waiting for transient readers) while it is
   * still in the tree, count, then clear the range from the tree (the kernel's order: {@code
   * vms_gather_munmap_vmas}, then {@code vma_iter_clear_gfp}); then {@code mmap_write_downgrade()},
   * the page-table work ({@link WriterWork#afterDowngrade}) and the frees under the read lock, as
   * {@code vms_complete_munmap_vmas()} does.
   */
  static void munmap(MmStruct mm, long addr, long length) {
    checkRange(mm, "munmap", addr, length);
    beginAddressSpaceOp(mm, "munmap");
    mm.mmapWriteLock();
    boolean downgraded = false;
    try {
      checkOpen(mm, "munmap");
      List<VmArea> removed = VmaOps.gatherMunmap(mm, addr, addr + length);
      if (removed.isEmpty()) {
        return;
      }
      // vms_complete_munmap_vmas(unlock == true): the VMAs are out of the tree and detached; the
      // page-table teardown and the frees run under the read lock.
      mm.mmapWriteDowngrade();
      downgraded = true;
      long pages = 0;
      for (VmArea v : removed) {
        pages += (v.vmEnd - v.vmStart) >>> VmArea.PAGE_SHIFT;
      }
      mm.writerWork.afterDowngrade(WriterWork.Op.MUNMAP, pages);
      VmaOps.freeDetached(mm, removed);
    } finally {
      if (downgraded) {
        mm.mmapReadUnlock();
      } else {
        mm.mmapWriteUnlock();
      }
    }
  }

  /**
   * {@code exit_mmap}: the body of {@link MmStruct#close()}: write-locks every VMA, empties the
   * tree, detaches and frees every VMA, marks the mm closed.
   */
  static void exitMmap(MmStruct mm) {
    beginAddressSpaceOp(mm, "close");
    mm.mmapWriteLock();
    try {
      checkOpen(mm, "close");
      List<VmArea> all = VmaOps.collect(mm, 0, -1L);
      for (VmArea v : all) {
        v.startWrite();
      }
      for (VmArea v : all) {
        mm.mmMt.storeRange(v.vmStart, v.vmEnd - 1, null);
      }
      for (VmArea v : all) {
        VmaOps.removeVma(mm, v);
      }
      mm.closed = true;
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  // ---- argument and state checks
  // -----------------------------------------------------------------

  /** Open, not holding the mmap lock, not in a no-sleep context: checked before taking the lock. */
  static void beginAddressSpaceOp(MmStruct mm, String what) {
    checkOpen(mm, what);
    mm.checkNotHoldingMmapLock(what);
    mm.mightSleep(what);
  }

  static void checkOpen(MmStruct mm, String what) {
    if (mm.closed) {
      throw new IllegalStateException(what + " on a closed mm (exit_mmap has run): " + mm.name());
    }
  }

  private static void checkLength(String what, long length) {
    if (length <= 0) {
      // Zero is -EINVAL in mmap and munmap; a negative length is a huge size_t in the kernel.
      throw new MmErrnoArgumentException(
          length == 0 ? Errno.EINVAL : rangeErrno(what),
          what + ": length must be positive: " + length);
    }
    if ((length & (MmStruct.PAGE_SIZE - 1)) != 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL,
          what
              + ": length 0x"
              + Long.toHexString(length)
              + " is not a multiple of 4096 (the model does not round up)");
    }
  }

  /**
   * The errno of a range past the address space: {@code __get_unmapped_area} and {@code
   * do_mprotect_pkey} return -ENOMEM, {@code do_vmi_munmap} -EINVAL.
   */
  private static Errno rangeErrno(String what) {
    return what.equals("munmap") ? Errno.EINVAL : Errno.ENOMEM;
  }

  private static void checkRange(MmStruct mm, String what, long addr, long length) {
    checkLength(what, length);
    if ((addr & (MmStruct.PAGE_SIZE - 1)) != 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL, what + ": addr 0x" + Long.toHexString(addr) + " is not page aligned");
    }
    if (addr < 0 || addr + length < addr) {
      throw new MmErrnoArgumentException(
          rangeErrno(what),
          what
              + ": range 0x"
              + Long.toHexString(addr)
              + " + 0x"
              + Long.toHexString(length)
              + " wraps around");
    }
    if (addr + length > mm.taskSize()) {
      throw new MmErrnoArgumentException(
          rangeErrno(what),
          what
              + ": range [0x"
              + Long.toHexString(addr)
              + ", 0x"
              + Long.toHexString(addr + length)
              + ") ends past taskSize 0x"
              + Long.toHexString(mm.taskSize()));
    }
  }

  // ---- lookups (mmap lock held; the public methods of MmStruct assert it)
  // ----------------------------

  /** {@code find_vma}: the first VMA with {@code end > addr}, or null. Mmap lock held. */
  static VmArea findVma(MmStruct mm, long addr) {
    return mm.mmMt.state(addr).find(-1L);
  }

  /**
   * {@code find_vma_prev}'s predecessor: the VMA before {@link #findVma}'s result, or the last VMA
   * of all when there is none. Mmap lock held.
   */
  static VmArea findVmaPrev(MmStruct mm, long addr) {
    VmArea next = findVma(mm, addr);
    if (next == null) {
      return mm.mmMt.state(-1L).findRev(0);
    }
    if (next.vmStart == 0) {
      return null;
    }
    return mm.mmMt.state(next.vmStart - 1).findRev(0);
  }

  /**
   * {@code expand_downwards}: grows a {@code VM_GROWSDOWN} VMA down to {@code addr}'s page. Mmap
   * write lock held.
   *
   * @return false (nothing changed) below {@link MmStruct#MMAP_MIN_ADDR}, on overlap with the
   *     previous VMA, or inside its stack guard gap
   */
  static boolean expandDownwards(MmStruct mm, VmArea vma, long addr) {
    long newStart = addr & -MmStruct.PAGE_SIZE;
    if (addr < 0 || newStart < MmStruct.MMAP_MIN_ADDR) {
      return false;
    }
    VmArea prev = vma.vmStart > 0 ? mm.mmMt.state(vma.vmStart - 1).findRev(0) : null;
    if (prev != null) {
      if (prev.vmEnd > newStart) {
        return false;
      }
      boolean accessible = (prev.vmFlags & VmFlags.VM_ACCESS_FLAGS) != 0;
      if ((prev.vmFlags & VmFlags.VM_GROWSDOWN) == 0
          && accessible
          && newStart - prev.vmEnd < MmStruct.STACK_GUARD_GAP) {
        return false;
      }
    }
    vma.startWrite();
    long grow = (vma.vmStart - newStart) >>> VmArea.PAGE_SHIFT;
    vma.setRange(newStart, vma.vmEnd, vma.vmPgoff - grow);
    mm.mmMt.storeRange(newStart, vma.vmEnd - 1, vma);
    return true;
  }

  // ---- mm/mprotect.c
  // ------------------------------------------------------------------------------

  /** The {@code mprotect} system call: the body of {@link MmStruct#mprotect(long, long, long)}. */
  static void mprotect(MmStruct mm, long addr, long length, long vmFlags) {
    if (length == 0) {
      // do_mprotect_pkey(): "if (start & ~PAGE_MASK) return -EINVAL; if (!len) return 0;"
      if ((addr & (MmStruct.PAGE_SIZE - 1)) != 0) {
        throw new MmErrnoArgumentException(
            Errno.EINVAL, "mprotect: addr 0x" + Long.toHexString(addr) + " is not page aligned");
      }
      return;
    }
    checkRange(mm, "mprotect", addr, length);
    if ((vmFlags & ~VmFlags.VM_ACCESS_FLAGS) != 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL,
          "mprotect: vmFlags 0x"
              + Long.toHexString(vmFlags)
              + " has bits other than VM_READ|VM_WRITE|VM_EXEC");
    }
    beginAddressSpaceOp(mm, "mprotect");
    mm.mmapWriteLock();
    try {
      checkOpen(mm, "mprotect");
      doMprotect(mm, addr, addr + length, vmFlags);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /** {@code do_mprotect_pkey}. Mmap write lock held. */
  private static void doMprotect(MmStruct mm, long start, long end, long prot) {
    // do_mprotect_pkey(): a range that does not start on a VMA fails before changing anything; a
    // hole further on ends the walk with ENOMEM after the VMAs before it were changed (the loop's
    // "if (vma->vm_start != tmp) { error = -ENOMEM; break; }").
    List<VmArea> mapped = VmaOps.collect(mm, start, end);
    long at = start;
    for (VmArea v : mapped) {
      if (v.vmStart > at) {
        break;
      }
      at = Math.min(v.vmEnd, end);
    }
    if (at == start) {
      throw holeEnomem(start, end, start);
    }
    if (at < end) {
      doMprotectMapped(mm, start, at, prot);
      throw holeEnomem(start, end, at);
    }
    doMprotectMapped(mm, start, end, prot);
  }

  /** {@link #doMprotect} over {@code [start, end)}, which is fully mapped. Mmap write lock held. */
  private static void doMprotectMapped(MmStruct mm, long start, long end, long prot) {
    List<VmArea> range = VmaOps.collect(mm, start, end);
    int newCount = planMprotectCount(mm, range, start, end, prot);
    VmaOps.checkMapCount(mm, "mprotect", start, end, newCount);

    VmArea vma = range.get(0);
    VmArea prev =
        vma.vmStart < start ? vma : (vma.vmStart > 0 ? mm.mmMt.load(vma.vmStart - 1) : null);
    long nstart = start;
    long changed = 0;
    for (; ; ) {
      long tmp = Math.min(vma.vmEnd, end);
      long newFlags = mprotectFlags(mm, vma, prot);
      if (newFlags != vma.vmFlags) {
        vma = VmaOps.modifyFlags(mm, prev, vma, nstart, tmp, newFlags);
        changed += (tmp - nstart) >>> VmArea.PAGE_SHIFT;
      }
      prev = vma;
      nstart = tmp;
      if (nstart >= end) {
        break;
      }
      vma = mm.mmMt.load(nstart);
    }
    assert mm.mapCount == newCount
        : "mprotect planned map_count " + newCount + ", got " + mm.mapCount;
    if (changed > 0) {
      // mprotect_fixup()'s change_protection() over the pages whose protection changed.
      mm.writerWork.underWriteLock(WriterWork.Op.MPROTECT, changed);
    }
  }

  /**
   * A VMA's flags after {@code mprotect(prot)}: the access bits replaced and, with {@link
   * MmStruct.Builder#accountCommit(boolean)}, {@code mprotect_fixup}'s {@code VM_ACCOUNT} rule.
   */
  private static long mprotectFlags(MmStruct mm, VmArea vma, long prot) {
    long old = vma.vmFlags;
    long flags = (old & ~VmFlags.VM_ACCESS_FLAGS) | prot;
    if (!mm.accountCommit || flags == old) {
      return flags; // mprotect_fixup: newflags == oldflags returns before the VM_ACCOUNT rule
    }
    long noCharge =
        VmFlags.VM_ACCOUNT | VmFlags.VM_WRITE | VmFlags.VM_SHARED | VmFlags.VM_NORESERVE;
    if ((prot & VmFlags.VM_WRITE) != 0) {
      if ((old & noCharge) == 0) {
        flags |= VmFlags.VM_ACCOUNT;
      }
    } else if ((old & VmFlags.VM_ACCOUNT) != 0 && vma.anonVma() == null) {
      // vma_is_anonymous() && !vma->anon_vma: nothing was written, the commit charge is returned.
      // With an anon_vma the written pages stay charged and VM_ACCOUNT stays.
      flags &= ~VmFlags.VM_ACCOUNT;
    }
    return flags;
  }

  private static MmErrnoException holeEnomem(long start, long end, long hole) {
    return new MmErrnoException(
        Errno.ENOMEM,
        "mprotect [0x"
            + Long.toHexString(start)
            + ", 0x"
            + Long.toHexString(end)
            + ") is not fully mapped: hole at 0x"
            + Long.toHexString(hole));
  }

  /**
   * The map count {@link #doMprotect} will leave: the window of changed pieces and their
   * neighbours, with merges wherever a changed piece meets a compatible neighbour (the result of
   * {@code vma_merge_existing_range} applied VMA by VMA).
   */
  private static int planMprotectCount(
      MmStruct mm, List<VmArea> range, long start, long end, long prot) {
    // Segments: {start, end, flags, pgoff, changed}, and each one's anon_vma alongside.
    List<long[]> segs = new ArrayList<>();
    List<AnonVma> anons = new ArrayList<>();
    int windowVmas = range.size();
    VmArea first = range.get(0);
    VmArea before = first.vmStart > 0 ? mm.mmMt.load(first.vmStart - 1) : null;
    if (before != null) {
      segs.add(new long[] {before.vmStart, before.vmEnd, before.vmFlags, before.vmPgoff, 0});
      anons.add(before.anonVma());
      windowVmas++;
    }
    for (VmArea v : range) {
      long nf = mprotectFlags(mm, v, prot);
      AnonVma av = v.anonVma();
      if (nf == v.vmFlags) {
        segs.add(new long[] {v.vmStart, v.vmEnd, v.vmFlags, v.vmPgoff, 0});
        anons.add(av);
        continue;
      }
      long s = Math.max(v.vmStart, start);
      long e = Math.min(v.vmEnd, end);
      if (v.vmStart < s) {
        segs.add(new long[] {v.vmStart, s, v.vmFlags, v.vmPgoff, 0});
        anons.add(av);
      }
      segs.add(new long[] {s, e, nf, v.vmPgoff + ((s - v.vmStart) >>> VmArea.PAGE_SHIFT), 1});
      anons.add(av);
      if (e < v.vmEnd) {
        segs.add(
            new long[] {
              e, v.vmEnd, v.vmFlags, v.vmPgoff + ((e - v.vmStart) >>> VmArea.PAGE_SHIFT), 0
            });
        anons.add(av);
      }
    }
    VmArea last = range.get(range.size() - 1);
    VmArea after = mm.mmMt.load(last.vmEnd);
    if (after != null) {
      segs.add(new long[] {after.vmStart, after.vmEnd, after.vmFlags, after.vmPgoff, 0});
      anons.add(after.anonVma());
      windowVmas++;
    }
    int groups = segs.size();
    // The anon_vma of the group the previous segment belongs to (merges left to right, as
    // vma_merge_existing_range applied VMA by VMA: a group takes the first anon_vma it absorbs).
    AnonVma groupAnon = anons.get(0);
    for (int i = 1; i < segs.size(); i++) {
      long[] a = segs.get(i - 1);
      long[] b = segs.get(i);
      AnonVma bAnon = anons.get(i);
      boolean merge =
          (a[4] == 1 || b[4] == 1)
              && a[1] == b[0]
              && a[2] == b[2]
              && (a[2] & VmFlags.VM_SPECIAL) == 0
              && VmaOps.anonVmasCompatible(groupAnon, bAnon)
              && (b[4] == 1
                  ? VmaOps.isMergeableAnonVma(bAnon, groupAnon) // b the middle, the group prev
                  : VmaOps.isMergeableAnonVma(anons.get(i - 1), bAnon)) // a the middle, b next
              && a[3] + ((a[1] - a[0]) >>> VmArea.PAGE_SHIFT) == b[3];
      if (merge) {
        groups--;
        if (groupAnon == null) {
          groupAnon = bAnon;
        }
      } else {
        groupAnon = bAnon;
      }
    }
    return mm.mapCount - windowVmas + groups;
  }
}
