package io.github.vmalock.mm;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code mremap} for the model's private anonymous mappings: {@code do_mremap()} of mm/mremap.c,
 * the body of {@link MmStruct#mremap(long, long, long, int, long)}.
 *
 * <p>The cases, in the kernel's order ({@code check_mremap_params}, {@code check_prep_vma}, then
 * the remap type):
 *
 * <ol>
 *   <li>Arguments: an unaligned address or length, {@code new_len == 0}, unknown flags, or {@code
 *       MREMAP_FIXED} without {@code MREMAP_MAYMOVE}: {@code EINVAL}; with {@code MREMAP_FIXED}, a
 *       destination that overlaps the source: {@code EINVAL}. No VMA at {@code addr} ({@code
 *       vma_lookup}): {@code EFAULT}.
 *   <li>{@code MREMAP_FIXED} with {@code old_len == new_len} ({@code remap_move}, Linux 6.17+): the
 *       range may span several VMAs and gaps (not at its start); each piece moves on its own, the
 *       gaps kept.
 *   <li>{@code MREMAP_FIXED} ({@code mremap_to}): the source range must lie inside that VMA ({@code
 *       EFAULT}); the destination is unmapped, the source is cut to {@code new_len} if it shrinks,
 *       and the VMA is moved there.
 *   <li>Shrink ({@code new_len < old_len}): the tail {@code [addr + new_len, addr + old_len)} is
 *       unmapped (whatever VMAs it covers, as the kernel does); the address stays.
 *   <li>Grow: the source range must lie inside the VMA ({@code EFAULT}). If it ends at the VMA's
 *       end and the pages after it are free ({@code vma_expandable}), the VMA grows in place
 *       ({@code vma_merge_extend}), absorbing the next VMA if it then touches one it can merge
 *       with. Otherwise, with {@code MREMAP_MAYMOVE}, it moves to a free range found top-down
 *       ({@code get_unmapped_area}); without it, {@code ENOMEM}.
 * </ol>
 *
 * <p>A move ({@code move_vma}): {@code ENOMEM} first if {@code map_count >= max_map_count - 3}
 * ({@code prep_move_vma}: the source's unmap may split one VMA into three); then {@code
 * vma_start_write()} on the source ("we don't want racing faults": it waits out the VMA's readers),
 * {@code copy_vma()} maps the destination with the source's flags, page offset and {@code anon_vma}
 * (a VMA never faulted, with no {@code anon_vma}, gets the page offset of its new address instead,
 * as {@code copy_vma} does; a new VMA is write-locked when created; it may merge with a neighbour
 * that {@code is_mergeable_anon_vma} allows), and the source range is unmapped. Both ends are
 * write-locked until the mmap write lock is released, so a reader never holds the VMA at both
 * places, and one that fails at either retries under {@code mmap_lock}, after the move.
 *
 * <p>What the model leaves out: {@code MREMAP_DONTUNMAP} (refused with {@code EINVAL}), page tables
 * ({@code move_page_tables}; the simulator moves its page bits itself), {@code VM_ACCOUNT} charging
 * (the flag itself moves with the VMA), and the rounding up of unaligned lengths (refused here, as
 * by the other operations).
 */
final class MremapOps {
  /*
   * Implementation notes. Everything runs under the mmap write lock; the only concurrency is with
   * lock-free readers, who are kept off the source by its VMA write lock and off the destination
   * by the new VMA's write lock (MmapOps' notes give the ordering argument for both). Failures are
   * detected before anything changes, with one exception that the kernel shares: a MREMAP_FIXED
   * move unmaps its destination before the move, and the move itself cannot fail after that in
   * the model (its map-count check comes first).
   */

  /** {@code MREMAP_MAYMOVE}. */
  static final int MREMAP_MAYMOVE = 1;

  /** {@code MREMAP_FIXED}. */
  static final int MREMAP_FIXED = 2;

  /** {@code MREMAP_DONTUNMAP}: not modelled. */
  static final int MREMAP_DONTUNMAP = 4;

  private MremapOps() {}

  static long mremap(MmStruct mm, long addr, long oldLen, long newLen, int flags, long newAddr) {
    checkParams(mm, addr, oldLen, newLen, flags, newAddr);
    MmapOps.beginAddressSpaceOp(mm, "mremap");
    mm.mmapWriteLock();
    try {
      MmapOps.checkOpen(mm, "mremap");
      VmArea vma = MmapOps.findVma(mm, addr);
      if (vma == null || vma.vmStart > addr) {
        throw new MmErrnoException(Errno.EFAULT, "mremap: no VMA at 0x" + Long.toHexString(addr));
      }
      if ((flags & MREMAP_FIXED) != 0 && oldLen == newLen) {
        return remapMove(mm, addr, oldLen, newAddr);
      }
      if ((flags & MREMAP_FIXED) != 0) {
        long len = Math.min(oldLen, newLen);
        checkInside(vma, addr, len);
        checkMoveMapCount(mm);
        VmaOps.doMunmap(mm, newAddr, newAddr + newLen);
        if (oldLen > newLen) {
          VmaOps.doMunmap(mm, addr + newLen, addr + oldLen);
        }
        VmArea src = MmapOps.findVma(mm, addr);
        return move(mm, src, addr, len, newLen, newAddr);
      }
      if (newLen <= oldLen) {
        if (newLen < oldLen) {
          VmaOps.doMunmap(mm, addr + newLen, addr + oldLen);
        }
        return addr;
      }
      checkInside(vma, addr, oldLen);
      long end = addr + oldLen;
      long newEnd = addr + newLen;
      if (end == vma.vmEnd && newEnd <= mm.taskSize() && newEnd > end && isFree(mm, end, newEnd)) {
        vma.startWrite(); // vma_merge_extend: the VMA's range changes
        VmArea next = mm.mmMt.load(newEnd);
        boolean mergeNext =
            next != null
                && next.vmFlags == vma.vmFlags
                && (vma.vmFlags & VmFlags.VM_SPECIAL) == 0
                && VmaOps.isMergeableAnonVma(vma.anonVma(), next.anonVma())
                && next.vmPgoff == vma.vmPgoff + ((newEnd - vma.vmStart) >>> VmArea.PAGE_SHIFT);
        if (mergeNext) {
          // vma_merge_new_range with prev = vma: the grown VMA also absorbs the next one.
          next.startWrite();
          long nextEnd = next.vmEnd;
          vma.setRange(vma.vmStart, nextEnd, vma.vmPgoff);
          VmaOps.dupAnonVma(vma, next.anonVma());
          mm.mmMt.storeRange(vma.vmStart, nextEnd - 1, vma);
          VmaOps.removeVma(mm, next);
        } else {
          vma.setRange(vma.vmStart, newEnd, vma.vmPgoff);
          mm.mmMt.storeRange(vma.vmStart, newEnd - 1, vma);
        }
        return addr;
      }
      if ((flags & MREMAP_MAYMOVE) == 0) {
        throw new MmErrnoException(
            Errno.ENOMEM,
            "mremap: cannot grow 0x"
                + Long.toHexString(addr)
                + " in place and MREMAP_MAYMOVE is not set");
      }
      checkMoveMapCount(mm);
      long dest = MmapOps.unmappedAreaTopdown(mm, newLen);
      return move(mm, vma, addr, oldLen, newLen, dest);
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * {@code remap_move} (Linux 6.17 and later): a {@code MREMAP_FIXED} move without resize may span
   * several VMAs. Each VMA piece in {@code [start, start + len)} moves on its own ({@code
   * mremap_to}: its destination unmapped, then {@code move_vma}), the gaps between source pieces
   * kept between the destination pieces; a gap at the start of the range, or no VMA at all, is
   * {@code EFAULT}. Pieces moved before a failure stay moved, as in the kernel.
   */
  private static long remapMove(MmStruct mm, long start, long len, long newAddr) {
    long end = start + len;
    List<long[]> pieces = new ArrayList<>();
    for (VmArea v : VmaOps.collect(mm, start, end)) {
      pieces.add(new long[] {Math.max(v.vmStart, start), Math.min(v.vmEnd, end), v.vmEnd});
    }
    if (pieces.isEmpty() || pieces.get(0)[0] > start) {
      throw new MmErrnoException(
          Errno.EFAULT,
          "mremap: no VMA at 0x" + Long.toHexString(start) + " (remap_move: gap at the start)");
    }
    long res = -1;
    long target = newAddr;
    long lastEnd = 0;
    boolean seen = false;
    for (long[] piece : pieces) {
      long offset = seen ? piece[0] - lastEnd : 0;
      lastEnd = piece[2];
      long dst = target + offset;
      long plen = piece[1] - piece[0];
      checkMoveMapCount(mm);
      VmaOps.doMunmap(mm, dst, dst + plen);
      VmArea src = MmapOps.findVma(mm, piece[0]);
      long r = move(mm, src, piece[0], plen, plen, dst);
      if (!seen) {
        res = r;
      }
      target = r + plen;
      seen = true;
    }
    return res;
  }

  /** {@code move_vma}: copy to {@code dest} with the source's flags and page offset, unmap. */
  private static long move(
      MmStruct mm, VmArea vma, long addr, long oldLen, long newLen, long dest) {
    vma.startWrite(); // "we don't want racing faults": waits out the VMA's readers
    long flags = vma.vmFlags;
    AnonVma anon = vma.anonVma();
    long pgoff = vma.vmPgoff + ((addr - vma.vmStart) >>> VmArea.PAGE_SHIFT);
    if (anon == null) {
      // copy_vma: "If anonymous vma has not yet been faulted, update new pgoff to match new
      // location", so that the moved VMA can merge like a fresh mapping there.
      pgoff = dest >>> VmArea.PAGE_SHIFT;
    }
    VmaOps.mmapRegion(mm, dest, dest + newLen, flags, pgoff, anon); // copy_vma, write-locked
    VmaOps.doMunmap(mm, addr, addr + oldLen);
    return dest;
  }

  private static void checkMoveMapCount(MmStruct mm) {
    if (mm.mapCount >= mm.maxMapCount() - 3) {
      throw new MmErrnoException(
          Errno.ENOMEM,
          "mremap: map_count "
              + mm.mapCount
              + " is within 3 of max_map_count "
              + mm.maxMapCount()
              + " (prep_move_vma)");
    }
  }

  private static void checkInside(VmArea vma, long addr, long len) {
    if (addr + len > vma.vmEnd) {
      throw new MmErrnoException(
          Errno.EFAULT,
          "mremap: [0x"
              + Long.toHexString(addr)
              + ", 0x"
              + Long.toHexString(addr + len)
              + ") runs past its VMA "
              + vma);
    }
  }

  private static boolean isFree(MmStruct mm, long start, long end) {
    VmArea next = MmapOps.findVma(mm, start);
    return next == null || next.vmStart >= end;
  }

  private static void checkParams(
      MmStruct mm, long addr, long oldLen, long newLen, int flags, long newAddr) {
    String bad = null;
    if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0) {
      bad = "unknown flags 0x" + Integer.toHexString(flags);
    } else if ((flags & MREMAP_DONTUNMAP) != 0) {
      bad = "MREMAP_DONTUNMAP is not modelled";
    } else if ((flags & MREMAP_FIXED) != 0 && (flags & MREMAP_MAYMOVE) == 0) {
      bad = "MREMAP_FIXED needs MREMAP_MAYMOVE";
    } else if ((addr & (MmStruct.PAGE_SIZE - 1)) != 0) {
      bad = "addr 0x" + Long.toHexString(addr) + " is not page aligned";
    } else if (newLen <= 0 || oldLen <= 0) {
      bad =
          "old and new length must be positive (old 0x"
              + Long.toHexString(oldLen)
              + ", new 0x"
              + Long.toHexString(newLen)
              + ")";
    } else if (((oldLen | newLen) & (MmStruct.PAGE_SIZE - 1)) != 0) {
      bad = "lengths must be multiples of 4096 (the model does not round up)";
    } else if (addr + oldLen < addr || addr + oldLen > mm.taskSize()) {
      bad = "source range ends past taskSize";
    } else if ((flags & MREMAP_FIXED) != 0) {
      if ((newAddr & (MmStruct.PAGE_SIZE - 1)) != 0) {
        bad = "new_addr 0x" + Long.toHexString(newAddr) + " is not page aligned";
      } else if (newAddr < 0 || newAddr + newLen < newAddr || newAddr + newLen > mm.taskSize()) {
        bad = "destination range ends past taskSize";
      } else if (newAddr < addr + oldLen && addr < newAddr + newLen) {
        bad = "destination overlaps the source";
      } else if (newAddr < MmStruct.MMAP_MIN_ADDR) {
        throw new MmErrnoArgumentException(
            Errno.EPERM,
            "mremap: new_addr 0x"
                + Long.toHexString(newAddr)
                + " is below MMAP_MIN_ADDR 0x"
                + Long.toHexString(MmStruct.MMAP_MIN_ADDR));
      }
    }
    if (bad != null) {
      throw new MmErrnoArgumentException(Errno.EINVAL, "mremap: " + bad);
    }
  }
}
