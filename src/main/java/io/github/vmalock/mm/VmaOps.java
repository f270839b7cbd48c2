package io.github.vmalock.mm;

import java.util.ArrayList;
import java.util.List;

/**
 * The VMA-level half of the address-space operations, the model's {@code mm/vma.c}: walking the
 * VMAs of a range, the merge predicates, {@code __split_vma}, {@code remove_vma}, {@code
 * __mmap_region} (here {@link #mmapRegion}), {@code do_vmi_munmap} and {@code vma_modify_flags},
 * with the {@code map_count} accounting. The system-call layer above it (argument checks, taking
 * the mmap write lock, choosing an address, {@code mprotect}'s hole check) is {@link MmapOps}; the
 * state all of this changes is the {@link MmStruct}'s ({@code mm_mt}, {@code map_count}) and the
 * {@link VmArea}s'.
 */
final class VmaOps {
  /*
   * Implementation notes.
   *
   * Context. Every function here runs with the mmap write lock held by the calling thread (the tree
   * asserts it on each store), inside one write period: mm_lock_seq is odd, so VmArea.startWrite()
   * marks a VMA write-locked until the caller's MmStruct.mmapWriteUnlock() ends every such lock at
   * once.
   *
   * The protocol of one change (what mm/vma.c does under CONFIG_PER_VMA_LOCK):
   *   1. Plan: compute the map_count the change will leave and refuse it (ENOMEM) before touching
   *      anything, so a refused operation leaves the tree, the counts and every VMA as they were.
   *   2. vma_start_write every VMA that will change or go away; this waits for its readers to
   *      leave, and from here no new reader is admitted to it until the period ends.
   *   3. A new VMA (__split_vma, a fresh mapping) is initialised, write-locked and marked attached
   *      before it is stored, so a reader that finds it in the tree waits for the period to end
   *      like a reader of a changed VMA.
   *   4. Change the VMA fields (setRange, setFlags: asserted write-locked or detached) and publish
   *      each change of the layout with one storeRange. Where a new VMA or a grown neighbour is
   *      stored over old ones (a MAP_FIXED mapping, a merge), that one store replaces them, so a
   *      lock-free walker never sees a gap that was not there.
   *   5. remove_vma the VMAs no longer reachable: vma_mark_detached (waits for transient readers
   *      that incremented the count before seeing the write lock), then free to the VmAreaCache,
   *      which may hand the object out again at once (SLAB_TYPESAFE_BY_RCU), to this mm or another.
   *
   * Memory ordering. Nothing here orders memory itself; it relies on three pairings made elsewhere.
   * The tree publishes each store with a release store of the new node and readers walk it with
   * acquire loads (io.github.vmalock.maple.MapleTree). A reader admitted on a recycled object sees
   * its new fields because vma_mark_attached's release store of 1 pairs with the reader's acquire
   * increment. A reader admitted after the period sees every field written here because
   * vma_end_write_all's release store of the even mm_lock_seq pairs with the reader's acquire re-
   * check (see MmStruct).
   *
   * map_count. A plain read-modify-write of MmStruct's volatile field: only the mmap-write-lock
   * holder writes it (the lock's release/acquire orders successive writers); the volatile store
   * only makes MmStruct.mapCount() a fresh lock-free snapshot. Each function asserts that it left
   * the count it planned.
   *
   * Known weak points. Map-count limits are checked against the final count of an operation (the
   * kernel checks before each split, and may pass the limit by one). No file or page-table state: a
   * VMA is its range, pgoff, flags and AnonVma (compared on merge as is_mergeable_anon_vma, shared
   * by a split, handed to a merge target without one by dup_anon_vma).
   */

  private VmaOps() {}

  /**
   * The VMAs overlapping {@code [start, end)}, in address order ({@code for_each_vma_range});
   * {@code end} is compared unsigned, so {@code -1L} means "to the end". Mmap lock held.
   */
  static List<VmArea> collect(MmStruct mm, long start, long end) {
    List<VmArea> out = new ArrayList<>();
    long at = start;
    for (; ; ) {
      VmArea v = MmapOps.findVma(mm, at);
      if (v == null || Long.compareUnsigned(v.vmStart, end) >= 0) {
        return out;
      }
      out.add(v);
      at = v.vmEnd;
    }
  }

  /**
   * Refuses an operation whose planned {@code map_count} exceeds {@link MmStruct#maxMapCount()},
   * with "ENOMEM" in the message (the kernel's {@code -ENOMEM} from the {@code map_count} checks).
   */
  static void checkMapCount(MmStruct mm, String what, long start, long end, int newCount) {
    if (newCount > mm.maxMapCount()) {
      throw new MmErrnoException(
          Errno.ENOMEM,
          what
              + " [0x"
              + Long.toHexString(start)
              + ", 0x"
              + Long.toHexString(end)
              + ") would raise map_count to "
              + newCount
              + ", above maxMapCount "
              + mm.maxMapCount());
    }
  }

  /**
   * {@code is_mergeable_anon_vma}: whether a range whose pages belong to {@code src} (the middle
   * VMA's anon_vma, the moved VMA's for {@code copy_vma}, null for a new mapping) may join a VMA
   * whose anon_vma is {@code tgt}. Case 1: {@code tgt} has none, {@code src} has one that is not
   * forked ({@code !vma_had_uncowed_parents(src)}); case 2: the other way round; case 3: the same
   * object (both null included).
   */
  static boolean isMergeableAnonVma(AnonVma src, AnonVma tgt) {
    if (tgt == null && src != null) {
      return src.parent() == null;
    }
    if (tgt != null && src == null) {
      return tgt.parent() == null;
    }
    return src == tgt;
  }

  /**
   * The extra check of {@code can_vma_merge_right} when both sides merge: {@code prev} and {@code
   * next} must agree with each other, not only each with the middle.
   */
  static boolean anonVmasCompatible(AnonVma prev, AnonVma next) {
    return prev == null || next == null || prev == next;
  }

  /** {@code can_vma_merge_after}: {@code prev} may absorb a range starting at its end. */
  static boolean canMergeAfter(VmArea prev, long flags, long pgoff, AnonVma src) {
    return prev.vmFlags == flags
        && (flags & VmFlags.VM_SPECIAL) == 0
        && isMergeableAnonVma(src, prev.anonVma())
        && prev.vmPgoff + ((prev.vmEnd - prev.vmStart) >>> VmArea.PAGE_SHIFT) == pgoff;
  }

  /** {@code can_vma_merge_before}: {@code next} may absorb a range ending at its start. */
  static boolean canMergeBefore(VmArea next, long flags, long pgoffAtNextStart, AnonVma src) {
    return next.vmFlags == flags
        && (flags & VmFlags.VM_SPECIAL) == 0
        && isMergeableAnonVma(src, next.anonVma())
        && next.vmPgoff == pgoffAtNextStart;
  }

  /**
   * Whether the part of {@code p} below {@code start} can absorb {@code [start, ...)} with {@code
   * flags}, {@code pgoff} and pages of {@code src}: {@code p} ends at or covers {@code start}.
   */
  static boolean mergeablePrefix(VmArea p, long start, long flags, long pgoff, AnonVma src) {
    return p.vmStart < start
        && p.vmFlags == flags
        && (flags & VmFlags.VM_SPECIAL) == 0
        && isMergeableAnonVma(src, p.anonVma())
        && p.vmPgoff + ((start - p.vmStart) >>> VmArea.PAGE_SHIFT) == pgoff;
  }

  /** {@code dup_anon_vma}: a merge target without an anon_vma takes the absorbed range's. */
  static void dupAnonVma(VmArea dst, AnonVma src) {
    if (dst.anonVma() == null && src != null) {
      dst.setAnonVma(src);
    }
  }

  /**
   * {@code __split_vma}: cuts {@code vma} at {@code addr}. The new VMA takes the part below {@code
   * addr} ({@code newBelow}) or from {@code addr} up; {@code vma} keeps the other part.
   *
   * <p>Locking: mmap write lock held; write-locks {@code vma}; the new VMA is attached
   * write-locked.
   *
   * @return the new VMA
   */
  static VmArea splitVma(MmStruct mm, VmArea vma, long addr, boolean newBelow) {
    vma.startWrite();
    long delta = (addr - vma.vmStart) >>> VmArea.PAGE_SHIFT;
    VmArea n = mm.cache.alloc();
    if (newBelow) {
      n.init(mm, vma.vmStart, addr, vma.vmPgoff, vma.vmFlags);
    } else {
      n.init(mm, addr, vma.vmEnd, vma.vmPgoff + delta, vma.vmFlags);
    }
    n.setAnonVma(vma.anonVma()); // anon_vma_clone
    n.startWrite();
    n.markAttached();
    if (newBelow) {
      vma.setRange(addr, vma.vmEnd, vma.vmPgoff + delta);
    } else {
      vma.setRange(vma.vmStart, addr, vma.vmPgoff);
    }
    // One store publishes the new VMA and cuts the old one's range.
    mm.mmMt.storeRange(n.vmStart, n.vmEnd - 1, n);
    mm.mapCount++;
    return n;
  }

  /**
   * {@code remove_vma}: detaches a write-locked VMA no longer reachable in the tree and frees it to
   * the cache.
   */
  static void removeVma(MmStruct mm, VmArea vma) {
    vma.markDetached();
    if (mm.strictRefcount && vma.refcnt() != 0) {
      throw new IllegalStateException("vm_area_free of an attached VMA: " + vma);
    }
    mm.cache.free(vma);
    mm.mapCount--;
  }

  /**
   * {@code mmap_region} with {@code MAP_FIXED}. Mmap write lock held (tests call it directly when
   * they must change the layout inside one write period).
   */
  static VmArea mmapRegion(MmStruct mm, long start, long end, long flags) {
    return mmapRegion(mm, start, end, flags, start >>> VmArea.PAGE_SHIFT, null);
  }

  /**
   * {@link #mmapRegion(MmStruct, long, long, long)} with the new VMA's {@code vm_pgoff} and {@code
   * anon_vma} given: the {@code copy_vma} of {@code mremap}, whose moved VMA keeps the source's
   * page offset and anon_vma ({@code vmg->anon_vma}, compared by {@code is_mergeable_anon_vma}).
   * Mmap write lock held.
   */
  static VmArea mmapRegion(
      MmStruct mm, long start, long end, long flags, long pgoff, AnonVma anon) {
    List<VmArea> overlap = collect(mm, start, end);
    boolean leftPiece = !overlap.isEmpty() && overlap.get(0).vmStart < start;
    boolean rightPiece = !overlap.isEmpty() && overlap.get(overlap.size() - 1).vmEnd > end;
    // The neighbours after the unmap: a left/right piece of an overlapped VMA, or an adjacent VMA.
    VmArea p = start > 0 ? mm.mmMt.load(start - 1) : null;
    VmArea n = mm.mmMt.load(end);
    boolean mergePrev = p != null && mergeablePrefix(p, start, flags, pgoff, anon);
    long pagesLen = (end - start) >>> VmArea.PAGE_SHIFT;
    boolean mergeNext =
        n != null
            && n.vmFlags == flags
            && (flags & VmFlags.VM_SPECIAL) == 0
            && isMergeableAnonVma(anon, n.anonVma())
            && (!mergePrev || anonVmasCompatible(p.anonVma(), n.anonVma()))
            && n.vmPgoff + ((Math.max(end, n.vmStart) - n.vmStart) >>> VmArea.PAGE_SHIFT)
                == pgoff + pagesLen;
    int newCount =
        mm.mapCount
            - overlap.size()
            + (leftPiece ? 1 : 0)
            + (rightPiece ? 1 : 0)
            + 1
            - (mergePrev ? 1 : 0)
            - (mergeNext ? 1 : 0);
    checkMapCount(mm, "mmap", start, end, newCount);

    VmArea prev = p;
    VmArea next = n;
    if (leftPiece) {
      prev = splitVma(mm, overlap.get(0), start, true);
    }
    if (rightPiece) {
      next = splitVma(mm, overlap.get(overlap.size() - 1), end, false);
    }
    for (VmArea v : overlap) {
      v.startWrite();
    }
    VmArea result;
    if (mergePrev && mergeNext) {
      prev.startWrite();
      next.startWrite();
      long newEnd = next.vmEnd;
      prev.setRange(prev.vmStart, newEnd, prev.vmPgoff);
      dupAnonVma(prev, anon);
      dupAnonVma(prev, next.anonVma());
      mm.mmMt.storeRange(prev.vmStart, newEnd - 1, prev);
      removeVma(mm, next);
      result = prev;
    } else if (mergePrev) {
      prev.startWrite();
      prev.setRange(prev.vmStart, end, prev.vmPgoff);
      dupAnonVma(prev, anon);
      mm.mmMt.storeRange(prev.vmStart, end - 1, prev);
      result = prev;
    } else if (mergeNext) {
      next.startWrite();
      next.setRange(start, next.vmEnd, pgoff);
      dupAnonVma(next, anon);
      mm.mmMt.storeRange(start, next.vmEnd - 1, next);
      result = next;
    } else {
      VmArea v = mm.cache.alloc();
      v.init(mm, start, end, pgoff, flags);
      v.setAnonVma(anon); // copy_vma: anon_vma_clone; null for a new mapping
      v.startWrite();
      v.markAttached();
      mm.mmMt.storeRange(start, end - 1, v);
      mm.mapCount++;
      result = v;
    }
    // The old VMAs are no longer in the tree (the new mapping was stored over them): free them.
    long replaced = 0;
    for (VmArea v : overlap) {
      replaced += (v.vmEnd - v.vmStart) >>> VmArea.PAGE_SHIFT;
      removeVma(mm, v);
    }
    assert mm.mapCount == newCount : "mmap planned map_count " + newCount + ", got " + mm.mapCount;
    // vms_complete_munmap_vmas(unlock == false): the replaced pages' teardown, under the write
    // lock.
    mm.writerWork.underWriteLock(WriterWork.Op.MMAP, replaced);
    return result;
  }

  /**
   * {@code vms_gather_munmap_vmas} and the locked half of {@code vms_complete_munmap_vmas}: splits
   * the VMAs at the range's ends, write-locks and detaches each one inside (waiting for transient
   * readers) while it is still in the tree, takes them off {@code map_count}, and then clears the
   * range from the tree ({@code vma_iter_clear_gfp} in {@code do_vmi_align_munmap}). Mmap write
   * lock held; on return the VMAs are detached but not freed (see {@link #freeDetached}).
   *
   * @return the detached VMAs, lowest first; empty (nothing changed) over a hole
   * @throws IllegalStateException with "ENOMEM" if a split would pass the map-count limit (nothing
   *     changed)
   */
  static List<VmArea> gatherMunmap(MmStruct mm, long start, long end) {
    List<VmArea> overlap = collect(mm, start, end);
    if (overlap.isEmpty()) {
      return overlap;
    }
    boolean leftPiece = overlap.get(0).vmStart < start;
    boolean rightPiece = overlap.get(overlap.size() - 1).vmEnd > end;
    int newCount = mm.mapCount - overlap.size() + (leftPiece ? 1 : 0) + (rightPiece ? 1 : 0);
    checkMapCount(mm, "munmap", start, end, newCount);
    if (leftPiece) {
      splitVma(mm, overlap.get(0), start, true);
    }
    if (rightPiece) {
      splitVma(mm, overlap.get(overlap.size() - 1), end, false);
    }
    /*
     * The kernel's order (mm/vma.c): vms_gather_munmap_vmas() write-locks and detaches each VMA
     * while it is still in mm_mt,
     *
     *     vma_start_write(next);
     *     mas_set(mas_detach, vms->vma_count++);
     *     error = mas_store_gfp(mas_detach, next, GFP_KERNEL);
     *     ...
     *     vma_mark_detached(next);
     *
     * and only then does do_vmi_align_munmap() clear the range from the tree
     * (vma_iter_clear_gfp(vmi, start, end, GFP_KERNEL)); vms_clear_ptes() comes later still, in
     * vms_complete_munmap_vmas(). A lock-free reader that finds such a VMA in the tree meanwhile
     * sees vm_refcnt 0 and fails vma_start_read with -EAGAIN: lock_vma_under_rcu walks again.
     */
    for (VmArea v : overlap) {
      v.startWrite();
      v.markDetached();
      if (mm.strictRefcount && v.refcnt() != 0) {
        throw new IllegalStateException("vm_area_free of an attached VMA: " + v);
      }
      mm.mapCount--;
    }
    mm.mmMt.storeRange(start, end - 1, null);
    assert mm.mapCount == newCount
        : "munmap planned map_count " + newCount + ", got " + mm.mapCount;
    return overlap;
  }

  /**
   * {@code remove_vma} of VMAs {@link #gatherMunmap} detached: frees each to the cache, where it
   * may be reused at once. Mmap lock held (read after the downgrade, or write).
   */
  static void freeDetached(MmStruct mm, List<VmArea> detached) {
    for (VmArea v : detached) {
      mm.cache.free(v);
    }
  }

  /**
   * {@code do_vmi_munmap(unlock = false)}: the whole munmap of {@code [start, end)} under the write
   * lock, page-table work included. Mmap write lock held (tests call it directly, as above).
   */
  static void doMunmap(MmStruct mm, long start, long end) {
    List<VmArea> removed = gatherMunmap(mm, start, end);
    long pages = 0;
    for (VmArea v : removed) {
      pages += (v.vmEnd - v.vmStart) >>> VmArea.PAGE_SHIFT;
    }
    if (pages > 0) {
      mm.writerWork.underWriteLock(WriterWork.Op.MUNMAP, pages);
    }
    freeDetached(mm, removed);
  }

  /**
   * {@code vma_modify_flags}: gives {@code [s, e)} of {@code vma} the flags {@code newFlags},
   * merging with {@code prev} and/or the next VMA as {@code vma_merge_existing_range} does, else
   * splitting {@code vma}.
   *
   * @return the VMA that now covers {@code [s, e)}
   */
  static VmArea modifyFlags(MmStruct mm, VmArea prev, VmArea vma, long s, long e, long newFlags) {
    boolean leftSide = s == vma.vmStart;
    boolean rightSide = e == vma.vmEnd;
    long pgoffS = vma.vmPgoff + ((s - vma.vmStart) >>> VmArea.PAGE_SHIFT);
    long pgoffE = pgoffS + ((e - s) >>> VmArea.PAGE_SHIFT);
    AnonVma src = vma.anonVma();
    if ((newFlags & VmFlags.VM_SPECIAL) == 0 && (leftSide || rightSide)) {
      boolean mergeLeft =
          leftSide && prev != null && prev.vmEnd == s && canMergeAfter(prev, newFlags, pgoffS, src);
      VmArea next = rightSide ? mm.mmMt.load(e) : null;
      boolean mergeRight =
          next != null
              && next.vmStart == e
              && canMergeBefore(next, newFlags, pgoffE, src)
              && (!mergeLeft || anonVmasCompatible(prev.anonVma(), next.anonVma()));
      if (mergeLeft && mergeRight) {
        prev.startWrite();
        vma.startWrite();
        next.startWrite();
        long newEnd = next.vmEnd;
        prev.setRange(prev.vmStart, newEnd, prev.vmPgoff);
        dupAnonVma(prev, src);
        dupAnonVma(prev, next.anonVma());
        mm.mmMt.storeRange(prev.vmStart, newEnd - 1, prev);
        removeVma(mm, vma);
        removeVma(mm, next);
        return prev;
      }
      if (mergeLeft) {
        prev.startWrite();
        vma.startWrite();
        prev.setRange(prev.vmStart, e, prev.vmPgoff);
        dupAnonVma(prev, src);
        if (rightSide) {
          mm.mmMt.storeRange(prev.vmStart, e - 1, prev);
          removeVma(mm, vma);
        } else {
          vma.setRange(e, vma.vmEnd, pgoffE);
          mm.mmMt.storeRange(prev.vmStart, e - 1, prev);
        }
        return prev;
      }
      if (mergeRight) {
        vma.startWrite();
        next.startWrite();
        next.setRange(s, next.vmEnd, pgoffS);
        dupAnonVma(next, src);
        if (leftSide) {
          mm.mmMt.storeRange(s, next.vmEnd - 1, next);
          removeVma(mm, vma);
        } else {
          vma.setRange(vma.vmStart, s, vma.vmPgoff);
          mm.mmMt.storeRange(s, next.vmEnd - 1, next);
        }
        return next;
      }
    }
    if (vma.vmStart < s) {
      splitVma(mm, vma, s, true);
    }
    if (vma.vmEnd > e) {
      splitVma(mm, vma, e, false);
    }
    vma.startWrite();
    vma.setFlags(newFlags);
    return vma;
  }
}
