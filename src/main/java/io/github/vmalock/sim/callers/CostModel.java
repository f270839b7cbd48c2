package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.WriterWork;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The simulator's cost model: what the kernel does while it holds a lock that the model does not
 * do, spent on the real protocol code as time (no virtual clock, no formula in place of a lock).
 *
 * <ul>
 *   <li>Per reader caller, a {@link Hold}: CPU work done while holding what the caller holds (a
 *       fault's page zeroing and PTE install; a {@code /proc/pid/maps} line's formatting) and, for
 *       a fraction of calls, time off the CPU while holding it (a {@code /proc/pid/maps} reader
 *       preempted in the middle of its read).
 *   <li>Per writer, page-table work proportional to the range, placed where the kernel does it
 *       through the mm's {@link WriterWork} hook: {@code munmap}'s teardown after {@code
 *       mmap_write_downgrade} (under the read lock), {@code mprotect}'s {@code change_protection}
 *       and {@code mmap(MAP_FIXED)}'s clearing of what it replaces under the write lock.
 * </ul>
 *
 * <p>{@link #NONE} is the model alone (what {@code run} does unless told otherwise); {@link
 * #kernel()} has the defaults taken from kernel figures, each listed with its source in {@code
 * docs/experiments.md} ("Parameters"). Immutable; thread-safe.
 */
public final class CostModel {

  // Every KERNEL_* figure below is in docs/experiments.md, "Parameters", with its source: measured
  // on this project's build machine by docs/kernel-costs.c (a Linux 6.18 guest, 2 CPUs; see
  // docs/kernel-costs.md for the machine and the caveats of its hypervisor), or read from the
  // kernel's source. None is chosen to reproduce a published result.

  /**
   * Anonymous write fault service time, allocating and zeroing a 4 KiB page and installing its PTE
   * ({@code do_anonymous_page}): 10.6 us, the median measured by {@code docs/kernel-costs.c} on the
   * build machine (a paravirtualized guest, where a fault costs more than on bare metal).
   */
  public static final long KERNEL_FAULT_CPU_NANOS = 10_600;

  /**
   * Formatting one {@code /proc/pid/maps} line ({@code show_map_vma} inside {@code seq_read_iter}):
   * 136 ns per line measured by {@code docs/kernel-costs.c} over a 1,025-line file.
   */
  public static final long KERNEL_PROC_MAPS_LINE_NANOS = 136;

  /**
   * Off-CPU time of a preempted task: one scheduler slice, {@code sysctl_sched_base_slice} (0.70 ms
   * since commit 2ae891b82695, 6.15 and 6.12.y) scaled by {@code 1 + ilog2(min(ncpus, 8))} ({@code
   * get_update_sysctl_factor}, {@code kernel/sched/fair.c}): 2.8 ms on 8 CPUs or more (the build
   * machine's 2 CPUs give 1.4 ms).
   */
  public static final long KERNEL_PREEMPT_NANOS = 2_800_000;

  /**
   * The binder shrinker's zap of one page ({@code zap_page_range_single}): one PTE cleared and one
   * single-page TLB flush, the small-range munmap slope measured by {@code docs/kernel-costs.c}:
   * 2.53 us per page.
   */
  public static final long KERNEL_BINDER_ZAP_NANOS = 2_530;

  /**
   * Binder's page install ({@code binder_install_single_page}: {@code alloc_page(__GFP_ZERO)} and
   * {@code vm_insert_page}): the work of an anonymous fault without the trap, taken as the measured
   * fault figure, {@link #KERNEL_FAULT_CPU_NANOS} (an upper bound).
   */
  public static final long KERNEL_BINDER_INSERT_NANOS = KERNEL_FAULT_CPU_NANOS;

  /**
   * TCP zerocopy's insertion of one receive's pages ({@code vm_insert_pages}, 4 pages that already
   * exist): four PTE installs, taken as four times the measured per-page {@code change_pte_range}
   * cost of a large {@code mprotect} (136 ns): 544 ns. No published per-receive figure was found.
   */
  public static final long KERNEL_TCP_INSERT_NANOS = 4 * 136;

  /**
   * The BPF stack map's build-id read from the VMA's file ({@code build_id_parse}): 1 us. No kernel
   * figure was found or measured: a placeholder of the order of reading one page-cache page,
   * flagged as such in {@code docs/experiments.md}.
   */
  public static final long KERNEL_BPF_BUILD_ID_NANOS = 1_000;

  /**
   * Page-table teardown per page unmapped ({@code zap_pte_range}, the folio's free, one full TLB
   * flush shared by the range): 108 ns, the slope measured by {@code docs/kernel-costs.c} for
   * ranges of 64 to 512 populated pages. Ranges of 32 pages or fewer cost 2.5 us per page there (a
   * single-page flush each, a hypercall on that guest); the model uses the large-range slope for
   * every range and counts every page of the range as populated.
   */
  public static final long KERNEL_UNMAP_PAGE_NANOS = 108;

  /**
   * {@code change_protection} per page ({@code change_pte_range}): 136 ns, the large-range slope
   * measured by {@code docs/kernel-costs.c} (3.3 us per page for 32 pages or fewer there).
   */
  public static final long KERNEL_PROTECT_PAGE_NANOS = 136;

  /** The model alone: no hold, no page-table work. */
  public static final CostModel NONE = builder().build();

  private final Map<CallerKind, Hold> holds;
  private final long unmapPageNanos;
  private final long protectPageNanos;
  private final int pageScale;
  private final WriterWork writerWork;

  private CostModel(Builder b) {
    this.holds = Collections.unmodifiableMap(new EnumMap<>(b.holds));
    this.unmapPageNanos = b.unmapPageNanos;
    this.protectPageNanos = b.protectPageNanos;
    this.pageScale = b.pageScale;
    this.writerWork =
        unmapPageNanos == 0 && protectPageNanos == 0 ? WriterWork.NONE : new PageTableWork();
  }

  /**
   * A builder for {@link #NONE}: no holds, no page-table work, page scale 1.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder with this model's settings.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.holds.putAll(holds);
    b.unmapPageNanos = unmapPageNanos;
    b.protectPageNanos = protectPageNanos;
    b.pageScale = pageScale;
    return b;
  }

  /**
   * The kernel defaults: every reader caller's CPU work under its lock and the writers' per-page
   * work from the {@code KERNEL_*} figures; nobody goes off the CPU ({@code /proc/pid/maps}
   * preemption is an experiment's choice: {@link #KERNEL_PREEMPT_NANOS} is the time it lasts); page
   * scale 1.
   *
   * @return a builder holding the defaults
   */
  public static Builder kernel() {
    return builder()
        .hold(CallerKind.PAGE_FAULT, Hold.cpu(KERNEL_FAULT_CPU_NANOS))
        .hold(CallerKind.PROC_MAPS, Hold.cpu(KERNEL_PROC_MAPS_LINE_NANOS))
        .hold(CallerKind.BINDER_SHRINKER, Hold.cpu(KERNEL_BINDER_ZAP_NANOS))
        .hold(CallerKind.BINDER_INSTALL, Hold.cpu(KERNEL_BINDER_INSERT_NANOS))
        .hold(CallerKind.TCP_ZEROCOPY, Hold.cpu(KERNEL_TCP_INSERT_NANOS))
        .hold(CallerKind.BPF_STACKMAP, Hold.cpu(KERNEL_BPF_BUILD_ID_NANOS))
        .hold(CallerKind.BPF_STACKMAP_SEED_V2, Hold.cpu(KERNEL_BPF_BUILD_ID_NANOS))
        .unmapPageNanos(KERNEL_UNMAP_PAGE_NANOS)
        .protectPageNanos(KERNEL_PROTECT_PAGE_NANOS);
  }

  /**
   * The hold of a caller.
   *
   * @param kind a caller
   * @return its hold, {@link Hold#NONE} if none was set
   */
  public Hold hold(CallerKind kind) {
    return holds.getOrDefault(kind, Hold.NONE);
  }

  /**
   * Spends a caller's hold: its CPU work, then, for its off-CPU fraction of calls, its off-CPU
   * time. Context: the calling thread holds what the caller holds; may block (the park).
   *
   * @param kind the caller
   */
  public void underLock(CallerKind kind) {
    Hold h = holds.get(kind);
    if (h != null) {
      spend(h);
    }
  }

  /**
   * Spends {@code h}: its CPU work, then its off-CPU time for its fraction of calls (drawn from the
   * calling thread's {@link ThreadLocalRandom}: the interleaving is the machine's anyway).
   *
   * @param h the hold
   */
  static void spend(Hold h) {
    CpuWork.spin(h.cpuNanos());
    if (h.offCpuNanos() > 0 && offCpuNow(h)) {
      CpuWork.park(h.offCpuNanos());
    }
  }

  /**
   * Draws whether this call goes off the CPU.
   *
   * @param h the hold
   * @return true for a fraction {@link Hold#offCpuRate()} of calls
   */
  static boolean offCpuNow(Hold h) {
    double r = h.offCpuRate();
    return r >= 1 || (r > 0 && ThreadLocalRandom.current().nextDouble() < r);
  }

  /**
   * Page-table teardown per page.
   *
   * @return nanoseconds per model page, before {@link #pageScale()}
   */
  public long unmapPageNanos() {
    return unmapPageNanos;
  }

  /**
   * {@code change_protection} per page.
   *
   * @return nanoseconds per model page, before {@link #pageScale()}
   */
  public long protectPageNanos() {
    return protectPageNanos;
  }

  /**
   * How many kernel pages each model page stands for when page-table work is costed: the layout's
   * slots are 16 pages, far smaller than the mappings they stand for, so a writer's range of 1-4
   * model pages costs as a range this many times larger.
   *
   * @return at least 1
   */
  public int pageScale() {
    return pageScale;
  }

  /**
   * The hook to build the mm with: it spins for the writers' page-table work.
   *
   * @return {@link WriterWork#NONE} when there is no per-page work
   */
  public WriterWork writerWork() {
    return writerWork;
  }

  /**
   * Whether this model costs nothing at all.
   *
   * @return true for {@link #NONE} and its equals
   */
  public boolean isNone() {
    for (Hold h : holds.values()) {
      if (!h.isNone()) {
        return false;
      }
    }
    return unmapPageNanos == 0 && protectPageNanos == 0;
  }

  /**
   * The settings by name, in a stable order, for reports and JSON: {@code hold.CALLER} for each
   * caller with a hold, then {@code unmap-page}, {@code protect-page}, {@code page-scale}.
   *
   * @return an ordered map of name to the value as the CLI takes it
   */
  public Map<String, String> parameters() {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<CallerKind, Hold> e : holds.entrySet()) {
      m.put("hold." + e.getKey().label(), e.getValue().toString());
    }
    m.put("unmap-page", Hold.formatNanos(unmapPageNanos));
    m.put("protect-page", Hold.formatNanos(protectPageNanos));
    m.put("page-scale", Integer.toString(pageScale));
    return m;
  }

  @Override
  public String toString() {
    return isNone() ? "none" : parameters().toString();
  }

  /** The writers' page-table work: a spin of pages x page scale x the per-page cost. */
  private final class PageTableWork implements WriterWork {
    @Override
    public void underWriteLock(Op op, long pages) {
      long perPage =
          switch (op) {
            case MPROTECT -> protectPageNanos;
            case MMAP, MUNMAP -> unmapPageNanos; // MAP_FIXED clears what it replaces
          };
      CpuWork.spin(perPage * pages * pageScale);
    }

    @Override
    public void afterDowngrade(Op op, long pages) {
      CpuWork.spin(unmapPageNanos * pages * pageScale);
    }
  }

  /** Builds a {@link CostModel}. */
  public static final class Builder {
    private final Map<CallerKind, Hold> holds = new EnumMap<>(CallerKind.class);
    private long unmapPageNanos;
    private long protectPageNanos;
    private int pageScale = 1;

    private Builder() {}

    /**
     * Sets a reader caller's hold.
     *
     * @param kind a reader caller
     * @param hold what it spends while holding its lock
     * @return this builder
     * @throws IllegalArgumentException if {@code kind} is a writer (writers are costed per page) or
     *     either is null
     */
    public Builder hold(CallerKind kind, Hold hold) {
      if (kind == null || hold == null) {
        throw new IllegalArgumentException("caller and hold must not be null");
      }
      if (kind.isWriter()) {
        throw new IllegalArgumentException(
            kind.label()
                + " is a writer: its cost is per page (unmap-page, protect-page), not a hold");
      }
      holds.put(kind, hold);
      return this;
    }

    /**
     * Sets the page-table teardown per page.
     *
     * @param nanos at least 0
     * @return this builder
     * @throws IllegalArgumentException if out of [0, 1 ms]
     */
    public Builder unmapPageNanos(long nanos) {
      this.unmapPageNanos = checkPerPage("unmap-page", nanos);
      return this;
    }

    /**
     * Sets {@code change_protection}'s cost per page.
     *
     * @param nanos at least 0
     * @return this builder
     * @throws IllegalArgumentException if out of [0, 1 ms]
     */
    public Builder protectPageNanos(long nanos) {
      this.protectPageNanos = checkPerPage("protect-page", nanos);
      return this;
    }

    /**
     * Sets how many kernel pages a model page stands for in page-table work.
     *
     * @param scale 1 to 4096
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder pageScale(int scale) {
      if (scale < 1 || scale > 4096) {
        throw new IllegalArgumentException("page scale must be between 1 and 4096, was " + scale);
      }
      this.pageScale = scale;
      return this;
    }

    private static long checkPerPage(String what, long nanos) {
      if (nanos < 0 || nanos > 1_000_000) {
        throw new IllegalArgumentException(
            what + " must be between 0 and 1ms per page, was " + Hold.formatNanos(nanos));
      }
      return nanos;
    }

    /**
     * Builds the model.
     *
     * @return the model
     */
    public CostModel build() {
      return new CostModel(this);
    }
  }
}
