package io.github.vmalock.mm;

/**
 * The {@code mmap}/{@code mprotect} constants of {@code include/uapi/asm-generic/mman-common.h} and
 * {@code mman.h}, with Linux's numeric values (x86-64 and arm64 agree), for {@link
 * MmStruct#mmap(long, long, int, int)}.
 */
public final class Mman {
  private Mman() {}

  /** Pages may not be accessed. */
  public static final int PROT_NONE = 0x0;

  /** Pages may be read. */
  public static final int PROT_READ = 0x1;

  /** Pages may be written. */
  public static final int PROT_WRITE = 0x2;

  /** Pages may be executed. */
  public static final int PROT_EXEC = 0x4;

  /** Share changes (not modelled: the model maps private anonymous memory only). */
  public static final int MAP_SHARED = 0x01;

  /** Changes are private. */
  public static final int MAP_PRIVATE = 0x02;

  /** Interpret the address exactly, replacing what is there. */
  public static final int MAP_FIXED = 0x10;

  /** Not backed by a file. */
  public static final int MAP_ANONYMOUS = 0x20;

  /** A stack-like segment ({@code VM_GROWSDOWN}). */
  public static final int MAP_GROWSDOWN = 0x0100;

  /** Do not account the mapping ({@code VM_NORESERVE}, no {@code VM_ACCOUNT}). */
  public static final int MAP_NORESERVE = 0x4000;

  /** Like {@link #MAP_FIXED}, but fail with EEXIST instead of replacing an existing mapping. */
  public static final int MAP_FIXED_NOREPLACE = 0x100000;

  /** Every flag {@link MmStruct#mmap(long, long, int, int)} accepts. */
  static final int MAP_SUPPORTED =
      MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_NORESERVE | MAP_FIXED_NOREPLACE;

  /** Every protection bit. */
  static final int PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC;
}
