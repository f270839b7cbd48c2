package io.github.vmalock.mm;

import io.github.vmalock.rcu.Rcu;

/**
 * Single steps of the per-VMA lock protocol for the model-checking scenarios in {@code
 * io.github.vmalock.modelcheck}, which live in another package: test code only, over the mm
 * package's package-private internals. Each step is the kernel function it names with nothing
 * around it, so that a scenario can hand it a state the public API reaches only through a longer
 * race (for example a stale pointer to a VMA recycled into another mm).
 */
public final class ModelCheckHooks {
  private ModelCheckHooks() {}

  /**
   * {@code vma_start_read} on a VMA the caller found earlier (as {@code lock_vma_under_rcu} does
   * after its tree walk), inside an RCU read section this method enters and leaves.
   *
   * <p>Locking: the calling thread holds nothing. On a non-null return it holds one read reference
   * on {@code vma} and must call {@link VmArea#endRead()}; on null it holds nothing.
   *
   * @param mm the mm the reader asks for
   * @param vma a VMA looked up before
   * @return {@code vma} read-locked, or null when {@code vma_start_read} failed or returned -EAGAIN
   */
  public static VmArea vmaStartRead(MmStruct mm, VmArea vma) {
    Rcu.Reader rd = mm.rcu.reader();
    rd.lock();
    VmArea got = mm.vmaStartRead(vma);
    if (got == null || got == MmStruct.EAGAIN) {
      return null; // vma_start_read left the RCU section itself
    }
    rd.unlock();
    return got;
  }
}
