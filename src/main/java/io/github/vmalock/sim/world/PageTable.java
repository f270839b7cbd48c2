package io.github.vmalock.sim.world;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The page-table stand-in: one "present" bit per page of the {@link AddressLayout}. A page fault
 * sets the bit ({@code handle_mm_fault} installing a PTE), binder's shrinker clears it ({@code
 * zap_page_range_single}), binder page install and TCP zerocopy set it ({@code vm_insert_page}).
 * Callers change it only while holding the VMA read lock or {@code mmap_lock}, as the kernel does;
 * the bits themselves are atomics so that the model's report can read them at any time.
 */
public final class PageTable {
  private final long base;
  private final long pages;
  private final AtomicLongArray bits;

  /**
   * Creates an empty page table covering a layout.
   *
   * @param layout the address layout
   */
  public PageTable(AddressLayout layout) {
    this.base = AddressLayout.BASE;
    this.pages = (layout.limit() - base) / AddressLayout.PAGE;
    this.bits = new AtomicLongArray((int) ((pages + 63) / 64));
  }

  private long index(long addr) {
    long i = (addr - base) / AddressLayout.PAGE;
    if (addr < base || i >= pages) {
      throw new IllegalArgumentException("address outside the layout: 0x" + Long.toHexString(addr));
    }
    return i;
  }

  /**
   * Marks the page at {@code addr} present.
   *
   * @param addr an address in the layout
   * @return true if it was not present before
   */
  public boolean set(long addr) {
    long i = index(addr);
    long mask = 1L << (i & 63);
    int w = (int) (i >>> 6);
    if ((bits.get(w) & mask) != 0) {
      return false; // already present: a read, no read-modify-write of a shared word
    }
    long old = bits.getAndAccumulate(w, mask, (a, b) -> a | b);
    return (old & mask) == 0;
  }

  /**
   * Marks the page at {@code addr} not present.
   *
   * @param addr an address in the layout
   * @return true if it was present before
   */
  public boolean clear(long addr) {
    long i = index(addr);
    long mask = 1L << (i & 63);
    int w = (int) (i >>> 6);
    long old = bits.getAndAccumulate(w, ~mask, (a, b) -> a & b);
    return (old & mask) != 0;
  }

  /**
   * Whether the page at {@code addr} is present.
   *
   * @param addr an address in the layout
   * @return the bit
   */
  public boolean present(long addr) {
    long i = index(addr);
    return (bits.get((int) (i >>> 6)) & (1L << (i & 63))) != 0;
  }

  /**
   * Number of present pages.
   *
   * @return the count
   */
  public long presentCount() {
    long n = 0;
    for (int i = 0; i < bits.length(); i++) {
      n += Long.bitCount(bits.get(i));
    }
    return n;
  }
}
