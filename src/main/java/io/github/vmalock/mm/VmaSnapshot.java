package io.github.vmalock.mm;

/**
 * One VMA as {@link MmStruct#vmas()} saw it under the mmap read lock: a value, valid after the lock
 * is released (the VMA itself may since have changed).
 *
 * @param start the first byte ({@code vm_start})
 * @param end one past the last byte ({@code vm_end})
 * @param flags the {@link VmFlags} bits ({@code vm_flags})
 * @param pgoff the page offset ({@code vm_pgoff}; {@code start >>> 12} for an anonymous VMA that
 *     was never moved)
 */
public record VmaSnapshot(long start, long end, long flags, long pgoff) {
  /**
   * The protection part of {@link #flags()} as {@link Mman} {@code PROT_*} bits.
   *
   * @return a subset of {@code PROT_READ | PROT_WRITE | PROT_EXEC}
   */
  public int prot() {
    return (int) (flags & VmFlags.VM_ACCESS_FLAGS);
  }
}
