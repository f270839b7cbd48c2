package io.github.vmalock.mm;

/**
 * VMA flag bits with the kernel's values ({@code include/linux/mm.h}), and their {@code
 * /proc/pid/maps} rendering.
 *
 * <p>Only the bits defined here are accepted by the address-space operations; others are refused
 * with {@link IllegalArgumentException}. {@link #VM_SPECIAL} mappings never merge ({@code
 * vma_merge}'s rule).
 */
public final class VmFlags {
  private VmFlags() {}

  /** No access. */
  public static final long VM_NONE = 0x0L;

  /** Readable. */
  public static final long VM_READ = 0x1L;

  /** Writable. */
  public static final long VM_WRITE = 0x2L;

  /** Executable. */
  public static final long VM_EXEC = 0x4L;

  /** Shared mapping. */
  public static final long VM_SHARED = 0x8L;

  /** A stack that grows down on faults below it ({@code expand_stack}). */
  public static final long VM_GROWSDOWN = 0x100L;

  /** Page ranges mapped by PFN, no struct page ({@code remap_pfn_range}). */
  public static final long VM_PFNMAP = 0x400L;

  /** Pages locked in memory ({@code mlock}). */
  public static final long VM_LOCKED = 0x2000L;

  /** Memory-mapped I/O. */
  public static final long VM_IO = 0x4000L;

  /** Not copied on fork. */
  public static final long VM_DONTCOPY = 0x20000L;

  /** Cannot be expanded by {@code mremap}. */
  public static final long VM_DONTEXPAND = 0x40000L;

  /** Accounted (private writable) mapping. */
  public static final long VM_ACCOUNT = 0x100000L;

  /** No swap space reserved. */
  public static final long VM_NORESERVE = 0x200000L;

  /** Mixed PFN and struct-page mapping. */
  public static final long VM_MIXEDMAP = 0x10000000L;

  /** The flags that forbid merging: {@code VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP}. */
  public static final long VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;

  /** The protection bits {@code mprotect} changes: {@code VM_READ | VM_WRITE | VM_EXEC}. */
  public static final long VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

  /** Every bit defined in this class. */
  public static final long VM_ALL =
      VM_READ
          | VM_WRITE
          | VM_EXEC
          | VM_SHARED
          | VM_GROWSDOWN
          | VM_PFNMAP
          | VM_LOCKED
          | VM_IO
          | VM_DONTCOPY
          | VM_DONTEXPAND
          | VM_ACCOUNT
          | VM_NORESERVE
          | VM_MIXEDMAP;

  /**
   * The {@code /proc/pid/maps} permission column: {@code r}, {@code w}, {@code x} or {@code -},
   * then {@code s} for shared or {@code p} for private.
   *
   * @param flags VMA flags
   * @return four characters, for example {@code "rw-p"}
   */
  public static String toString(long flags) {
    char[] c = new char[4];
    c[0] = (flags & VM_READ) != 0 ? 'r' : '-';
    c[1] = (flags & VM_WRITE) != 0 ? 'w' : '-';
    c[2] = (flags & VM_EXEC) != 0 ? 'x' : '-';
    c[3] = (flags & VM_SHARED) != 0 ? 's' : 'p';
    return new String(c);
  }

  /**
   * Checks that {@code flags} uses only bits defined here.
   *
   * @param flags flags from a caller
   * @throws IllegalArgumentException naming the undefined bits
   */
  static void checkDefined(long flags) {
    long bad = flags & ~VM_ALL;
    if (bad != 0) {
      throw new MmErrnoArgumentException(
          Errno.EINVAL,
          "vmFlags 0x"
              + Long.toHexString(flags)
              + " has undefined bits 0x"
              + Long.toHexString(bad));
    }
  }
}
