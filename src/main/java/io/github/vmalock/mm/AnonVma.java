package io.github.vmalock.mm;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's {@code struct anon_vma} (mm/rmap.c), reduced to its identity: the object that
 * anonymous pages written in a VMA are filed under. A VMA has none until its first write fault
 * ({@link MmStruct#handleMmFault(long, boolean)}, {@code __anon_vma_prepare}); the pieces of a
 * split share their VMA's ({@code anon_vma_clone}); a VMA moved by {@code mremap} keeps it ({@code
 * copy_vma}); two VMAs merge only if {@code is_mergeable_anon_vma} allows it (none on one side, or
 * the same object); a forked child gets one of its own per VMA whose parent VMA has one ({@code
 * anon_vma_fork}), linked to the parent's by {@link #parent()}.
 *
 * <p>Immutable and safe to share between threads; instances are compared by identity. No pages,
 * rmap tree, reference counts or {@code anon_vma_chain}: the model keeps what decides the layout.
 */
public final class AnonVma {
  private static final AtomicLong IDS = new AtomicLong();

  private final AnonVma parent;
  private final long id;

  AnonVma(AnonVma parent) {
    this.parent = parent;
    this.id = IDS.incrementAndGet();
  }

  /**
   * The parent process's {@code anon_vma} this one was forked from ({@code anon_vma_fork}), or null
   * for one created by a fault. A VMA whose {@code anon_vma} has a parent stands for the kernel's
   * {@code vma_had_uncowed_parents()} (an {@code anon_vma_chain} of more than one entry): such a
   * VMA neither lends its {@code anon_vma} to a neighbour ({@code reusable_anon_vma}) nor merges
   * with a VMA that has none ({@code is_mergeable_anon_vma}).
   *
   * @return the parent, or null
   */
  public AnonVma parent() {
    return parent;
  }

  /**
   * A description for debugging: a serial number unique in this JVM, and the parent's.
   *
   * @return for example {@code anon_vma#3} or {@code anon_vma#5<-#3}
   */
  @Override
  public String toString() {
    return "anon_vma#" + id + (parent == null ? "" : "<-#" + parent.id);
  }
}
