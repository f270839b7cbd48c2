package io.github.vmalock.examples;

import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.mm.VmaLockSteps;

/**
 * A user's protocol: the per-VMA lock series' v1 {@code lock_vma_under_rcu_wait} as the slow path
 * of {@code vma_start_read_unlocked}. It loops: the fast path ({@code lock_vma_under_rcu}); on
 * failure {@code mmap_read_lock}, {@code vma_lookup} (which waits for the writer, since the writer
 * holds the mmap write lock), drop the mmap lock, and retry. It never returns holding the mmap
 * lock, and every VMA it returns comes from the fast path, so it is read-locked.
 *
 * <p>Every other step is the faithful default.
 */
public final class V1LockVmaUnderRcuWait implements VmaLockProtocol {

  /**
   * The v1 loop.
   *
   * <p>Held on entry: nothing of this mm. On return: the mmap lock is not held; a non-null result
   * is read-locked by the caller. May block in {@code mmap_read_lock}.
   *
   * @param s the primitives of the mm
   * @param addr the address
   * @return the read-locked VMA covering {@code addr}, or null when none covers it
   */
  @Override
  public VmArea startReadUnlocked(VmaLockSteps s, long addr) {
    while (true) {
      VmArea vma = s.lockVmaUnderRcu(addr);
      if (vma != null) {
        return vma;
      }
      s.mmapReadLock();
      VmArea present;
      try {
        present = s.lookup(addr);
      } finally {
        s.mmapReadUnlock();
      }
      if (present == null) {
        return null;
      }
    }
  }

  @Override
  public String toString() {
    return "v1 lock_vma_under_rcu_wait";
  }
}
