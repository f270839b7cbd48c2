/**
 * The mm model: {@link io.github.vmalock.mm.MmStruct} ({@code mm_struct}) with its {@code
 * mmap_lock} and {@code mm_lock_seq}, {@link io.github.vmalock.mm.VmArea} ({@code vm_area_struct})
 * with its {@code vm_refcnt} per-VMA lock, the lock-free lookup {@link
 * io.github.vmalock.mm.MmStruct#lockVmaUnderRcu(long)}, the series' {@link
 * io.github.vmalock.mm.MmStruct#vmaStartReadUnlocked(long)}, and the address-space operations
 * ({@code mmap}, {@code munmap}, {@code mprotect}) with VMA split and merge, on a {@link
 * io.github.vmalock.maple.MapleTree} guarded by the mmap write lock and an {@link
 * io.github.vmalock.rcu.Rcu} domain.
 *
 * <p>Kernel sources modelled: {@code mm/mmap_lock.c}, {@code include/linux/mmap_lock.h}, {@code
 * include/linux/mm_types.h} ({@code MmStruct}, {@code VmArea}), {@code mm/mmap.c}, {@code
 * mm/mprotect.c} (the package-private {@code MmapOps}) and {@code mm/vma.c} ({@code VmaOps}).
 */
package io.github.vmalock.mm;
