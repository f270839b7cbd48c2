package io.github.vmalock.jcstress;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;

/**
 * Shared constants and small helpers of the mm harnesses.
 *
 * <p>Every harness state builds its own {@link MmStruct} on its own {@link VmAreaCache}, so that a
 * {@code VmArea} freed by one state's actor is never handed to another state's mm (the cache
 * recycles at once, last freed first reused, as {@code SLAB_TYPESAFE_BY_RCU} allows). The mms are
 * built without an explicit variant, so the system property {@code vmalock.variant} selects the
 * protocol under test (the kill matrix passes it with {@code -jvmArgsPrepend}).
 */
final class MmHarness {

  /** One page, the model's allocation granule. */
  static final long PAGE = 4096;

  /** The address the harnesses race on (4 MiB, far from everything else). */
  static final long A = 0x40_0000L;

  /** A second address, for a VMA recycled at another range (8 MiB). */
  static final long B = 0x80_0000L;

  /** {@code VM_READ}. */
  static final long R = VmFlags.VM_READ;

  /** {@code VM_READ | VM_WRITE}. */
  static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /**
   * {@code VM_REFCNT_EXCLUDE_READERS_FLAG}: set in {@code vm_refcnt} while readers are excluded.
   */
  static final int EXCLUDE_READERS_FLAG = 1 << 30;

  /**
   * Bound on the spins an actor spends waiting for the other actor. A wait that times out only
   * makes the interleaving less interesting; it never turns into a FORBIDDEN outcome.
   */
  static final int SPIN_LIMIT = 1 << 16;

  private MmHarness() {}

  /** A fresh mm with a cache of its own; the variant comes from {@code vmalock.variant}. */
  static MmStruct newMm() {
    return newMm(new VmAreaCache());
  }

  /** A fresh mm on {@code cache}; the variant comes from {@code vmalock.variant}. */
  static MmStruct newMm(VmAreaCache cache) {
    return MmStruct.builder().cache(cache).build();
  }

  /**
   * The number of references in {@code vma}'s {@code vm_refcnt} below the exclude-readers flag: the
   * attach reference plus one per reader. A reader holding a read reference on an attached VMA
   * always sees at least 2; 1 means it holds the only reference, so the VMA is detached.
   */
  static int references(VmArea vma) {
    return vma.refcnt() & (EXCLUDE_READERS_FLAG - 1);
  }

  /**
   * Checks what a reader holding a read reference on {@code vma} may rely on: attached, covering
   * {@code addr}, belonging to {@code mm}, and not holding {@code mmap_lock}.
   *
   * @return 0 when all hold, else a bit set: 2 detached, 4 not covering {@code addr}, 8 another mm,
   *     16 {@code mmap_lock} held on return
   */
  static int checkHeld(MmStruct mm, VmArea vma, long addr) {
    int bad = 0;
    if (references(vma) < 2) {
      bad |= 2;
    }
    if (!(vma.start() <= addr && addr < vma.end())) {
      bad |= 4;
    }
    if (vma.mm() != mm) {
      bad |= 8;
    }
    if (mm.mmapLock().getReadHoldCount() != 0 || mm.mmapLock().isWriteLockedByCurrentThread()) {
      bad |= 16;
    }
    return bad;
  }

  /**
   * Spins until another thread waits for {@code mm}'s {@code mmap_lock}, at most {@link
   * #SPIN_LIMIT} times.
   *
   * @return whether a waiter was seen
   */
  static boolean awaitMmapLockWaiter(MmStruct mm) {
    for (int i = 0; i < SPIN_LIMIT; i++) {
      if (mm.mmapLock().hasQueuedThreads()) {
        return true;
      }
      Thread.onSpinWait();
    }
    return false;
  }

  /**
   * Runs {@code mm.assertQuiescent()} (mmap lock free, every VMA's {@code vm_refcnt} back to 1).
   *
   * @return 0 when quiescent, 1 when a lock or a read reference leaked
   */
  static int quiescent(MmStruct mm) {
    try {
      mm.assertQuiescent();
      return 0;
    } catch (IllegalStateException e) {
      return 1;
    }
  }
}
