package io.github.vmalock.sim.callers;

import io.github.vmalock.sim.world.SeriesShape;
import java.util.Locale;

/** The callers a workload can mix, by the name used in {@code --mix} and in reports. */
public enum CallerKind {
  /** {@link PageFault}. */
  PAGE_FAULT("page-fault", false, "do_user_addr_fault: lock_vma_under_rcu, mmap_lock fallback"),
  /** {@link BinderShrinker}. */
  BINDER_SHRINKER("binder-shrinker", false, "binder_alloc_free_page: never blocks"),
  /** {@link BinderInstallPage}. */
  BINDER_INSTALL("binder-install", false, "binder_page_insert: vm_insert_page under a VMA lock"),
  /** {@link TcpZerocopyReceive}. */
  TCP_ZEROCOPY("tcp-zerocopy", false, "tcp_zerocopy_receive / find_tcp_vma"),
  /** {@link BpfStackMapBuildId#correct}. */
  BPF_STACKMAP("bpf-stackmap", false, "stack_map_lock_vma / stack_map_unlock_vma, corrected"),
  /** {@link BpfStackMapBuildId#seedV2}: leaks VMA references; for demonstrations only. */
  BPF_STACKMAP_SEED_V2(
      "bpf-stackmap-v2",
      false,
      "v2 of the series' stack map (stale #ifdef): leaks, refused unlock"),
  /** {@link ProcMapsReader}. */
  PROC_MAPS("proc-maps", false, "/proc/pid/maps read with lock_next_vma"),
  /** {@link ProcMapsReader} of {@link ProcMapsReader.ProcFile#SMAPS}. */
  PROC_SMAPS("proc-smaps", false, "/proc/pid/smaps read: mmap_read_lock per read() in every world"),
  /** {@link ProcmapQuery}. */
  PROCMAP_QUERY("procmap-query", false, "PROCMAP_QUERY ioctl: lock_next_vma by address"),
  /** {@link MadviseDontneed}. */
  MADVISE_DONTNEED(
      "madvise-dontneed", false, "madvise(MADV_DONTNEED): one VMA read-locked, else mmap_lock"),
  /** {@link AddressSpaceWriter} {@code MMAP}. */
  MMAP("mmap", true, "mmap(MAP_FIXED) inside a slot"),
  /** {@link AddressSpaceWriter} {@code MUNMAP}. */
  MUNMAP("munmap", true, "munmap of 1-4 pages inside a slot"),
  /** {@link AddressSpaceWriter} {@code MPROTECT}. */
  MPROTECT("mprotect", true, "mprotect rw/r of 1-4 pages inside an anonymous slot"),
  /** {@link AddressSpaceWriter} {@code MREMAP}. */
  MREMAP("mremap", true, "mremap(MAYMOVE|FIXED) of 1-4 pages elsewhere in an anonymous slot"),
  /** {@link AddressSpaceWriter} {@code FORK}. */
  FORK("fork", true, "fork's dup_mmap: every VMA write-locked and copied, then the child exits");

  private final String label;
  private final boolean writer;
  private final String description;

  CallerKind(String label, boolean writer, String description) {
    this.label = label;
    this.writer = writer;
    this.description = description;
  }

  /**
   * The name in {@code --mix} and in reports.
   *
   * @return for example {@code "page-fault"}
   */
  public String label() {
    return label;
  }

  /**
   * Whether writer threads (not reader threads) run this caller.
   *
   * @return true for {@code mmap}, {@code munmap}, {@code mprotect}
   */
  public boolean isWriter() {
    return writer;
  }

  /**
   * One line on what the caller models.
   *
   * @return the description
   */
  public String description() {
    return description;
  }

  /**
   * Finds a caller by label or constant name, case-insensitive.
   *
   * @param name for example {@code "page-fault"} or {@code "PAGE_FAULT"}
   * @return the kind
   * @throws IllegalArgumentException naming the value and the valid names
   */
  public static CallerKind parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (CallerKind k : values()) {
      if (k.label.equals(n)) {
        return k;
      }
    }
    StringBuilder valid = new StringBuilder();
    for (CallerKind k : values()) {
      valid.append(valid.length() == 0 ? "" : ", ").append(k.label);
    }
    throw new IllegalArgumentException("unknown caller '" + name + "'; valid callers: " + valid);
  }

  /**
   * Creates this caller for a run.
   *
   * @param ctx the run's context
   * @param alloc the binder alloc shared by the binder callers
   * @param retryRate the page fault's {@code VM_FAULT_RETRY} rate
   * @return the caller
   */
  public KernelCaller create(SimContext ctx, BinderAlloc alloc, double retryRate) {
    SeriesShape shape = ctx.world().shape();
    return switch (this) {
      case PAGE_FAULT -> new PageFault(ctx, retryRate);
      case BINDER_SHRINKER -> new BinderShrinker(ctx, alloc, shape);
      case BINDER_INSTALL -> new BinderInstallPage(ctx, alloc, shape);
      case TCP_ZEROCOPY -> new TcpZerocopyReceive(ctx, shape);
      case BPF_STACKMAP -> BpfStackMapBuildId.correct(ctx);
      case BPF_STACKMAP_SEED_V2 -> BpfStackMapBuildId.seedV2(ctx);
      case PROC_MAPS -> new ProcMapsReader(ctx);
      case PROC_SMAPS -> new ProcMapsReader(ctx, ProcMapsReader.ProcFile.SMAPS);
      case PROCMAP_QUERY -> new ProcmapQuery(ctx);
      case MADVISE_DONTNEED -> new MadviseDontneed(ctx);
      case MMAP -> new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.MMAP);
      case MUNMAP -> new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.MUNMAP);
      case MPROTECT -> new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.MPROTECT);
      case MREMAP -> new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.MREMAP);
      case FORK -> new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.FORK);
    };
  }
}
