package io.github.vmalock.mm;

/**
 * What an address-space operation does beyond the VMA and tree changes the model makes, placed
 * where the kernel does it: the page-table work. The model has no page tables; a simulator or a
 * test that wants their cost (or wants to observe where it falls) gives the mm a {@code WriterWork}
 * through {@link MmStruct.Builder#writerWork(WriterWork)}.
 *
 * <ul>
 *   <li>{@link #underWriteLock(Op, long)}: called with the mmap write lock held, after the
 *       operation's VMA changes, before the lock is released: {@code mprotect}'s {@code
 *       change_protection()} over the pages whose protection changed ({@code mprotect_fixup()}),
 *       {@code mmap(MAP_FIXED)}'s teardown of the pages it replaces ({@code
 *       vms_complete_munmap_vmas} with {@code unlock == false}).
 *   <li>{@link #afterDowngrade(Op, long)}: called by {@code munmap} after {@code
 *       mmap_write_downgrade()}, with the mmap lock held for reading: {@code vms_clear_ptes()}
 *       ({@code unmap_vmas}, {@code free_pgtables}) of the removed range, as {@code
 *       vms_complete_munmap_vmas()} does with {@code unlock == true}. Per-VMA readers of other VMAs
 *       and mmap-lock readers run beside it; writers wait.
 * </ul>
 *
 * <p>Context: both methods run on the operation's thread and may block or spin; they must not take
 * the mm's locks or call its address-space operations, and must not throw (an exception propagates
 * to the operation's caller after the operation's changes are made and its lock released).
 * Implementations must be thread-safe: writers of one mm run one at a time, but writers of mms
 * sharing a {@code WriterWork} do not.
 */
public interface WriterWork {
  /** The operation doing the work. */
  enum Op {
    /** {@code mmap}, replacing what it maps over. */
    MMAP,
    /** {@code munmap}. */
    MUNMAP,
    /** {@code mprotect}. */
    MPROTECT
  }

  /** No work: the model alone (the default of every mm). */
  WriterWork NONE = new WriterWork() {};

  /**
   * Work done under the mmap write lock.
   *
   * @param op the operation
   * @param pages the pages it touches (replaced, or whose protection changed); may be 0
   */
  default void underWriteLock(Op op, long pages) {}

  /**
   * Work done after the downgrade, holding the mmap lock for reading ({@link Op#MUNMAP} only).
   *
   * @param op the operation
   * @param pages the pages unmapped, at least 1
   */
  default void afterDowngrade(Op op, long pages) {}
}
