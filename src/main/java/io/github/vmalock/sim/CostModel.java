package io.github.vmalock.sim;

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

  /**
   * Anonymous write fault service time, zeroing a 4 KiB page and installing its PTE: 1 us. Source
   * and caveats: {@code docs/experiments.md}, "Parameters".
   */
  public static final long KERNEL_FAULT_CPU_NANOS = 1_000;

  /** Formatting one {@code /proc/pid/maps} line ({@code show_map_vma}): 1 us. */
  public static final long KERNEL_PROC_MAPS_LINE_NANOS = 1_000;

  /**
   * Off-CPU time of a preempted task: one scheduler slice, {@code sysctl_sched_base_slice} (0.75
   * ms) scaled by {@code 1 + ilog2(min(ncpus, 8))} as {@code sched_update_scaling} does: 3 ms on 8
   * CPUs or more.
   */
  public static final long KERNEL_PREEMPT_NANOS = 3_000_000;

  /** The binder shrinker's zap of one page ({@code zap_page_range_single}): 0.5 us. */
  public static final long KERNEL_BINDER_ZAP_NANOS = 500;

  /** Binder's {@code vm_insert_page} of one page: 0.5 us. */
  public static final long KERNEL_BINDER_INSERT_NANOS = 500;

  /** TCP zerocopy's insertion of a receive's pages ({@code vm_insert_pages}, 4 pages): 1 us. */
  public static final long KERNEL_TCP_INSERT_NANOS = 1_000;

  /** The BPF stack map's build-id read from the VMA's file ({@code build_id_parse}): 1 us. */
  public static final long KERNEL_BPF_BUILD_ID_NANOS = 1_000;

  /** Page-table teardown per page unmapped ({@code zap_pte_range} and the page's free): 0.2 us. */
  public static final long KERNEL_UNMAP_PAGE_NANOS = 200;

  /** {@code change_protection} per page ({@code change_pte_range}): 0.05 us. */
  public static final long KERNEL_PROTECT_PAGE_NANOS = 50;

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
