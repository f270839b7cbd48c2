package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.Errno;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmErrnoException;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.sim.world.AddressLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@code /proc/pid/maps} reader: {@code m_start}/{@code m_next}/{@code m_stop} of
 * fs/proc/task_mmu.c, one whole file per call, in {@code read()} calls of one page each.
 *
 * <p>Each {@code read()} fills seq_file's one-page buffer: {@link #LINES_PER_READ} lines. With
 * per-VMA locks (since 6.17) every line is a VMA found and read-locked by {@code lock_next_vma()},
 * printed, and unlocked; {@code mmap_lock} is not held. When {@code lock_next_vma()} fails with
 * {@code -EAGAIN} (the VMA's reader count is at its limit), {@code proc_get_vma()} calls {@code
 * fallback_to_mmap_lock()}: it takes {@code mmap_read_lock_killable()} and prints the rest of that
 * {@code read()} under it, with {@code vma_next()}; {@code m_stop} drops it. Without per-VMA locks
 * ({@code MMAP_LOCK_ONLY}, kernels before 6.17) {@code m_start} takes {@code mmap_lock} for reading
 * and {@code m_stop} drops it: one page of lines at a time under {@code mmap_lock}, which a writer
 * must wait out.
 *
 * <p>The cost model's {@link Hold} for {@link CallerKind#PROC_MAPS} is spent per line, while the
 * line's lock is held (the VMA lock, or {@code mmap_lock}); its off-CPU part falls at most once per
 * call, at a line drawn at random: the reader is preempted in the middle of its read, holding what
 * that line holds.
 *
 * <p>It checks what the kernel's {@code tools/testing/selftests/proc/proc-maps-race.c} checks:
 * every line ends after the previous one ({@code lock_next_vma()} returns a VMA with {@code vm_end
 * > from}), and a VMA that existed for the whole read is reported exactly once and whole: no gap,
 * overlap or duplicate that did not exist (F11). The layout's text slots are such VMAs: no writer
 * touches them, so each must appear exactly once with its exact range and flags, and no other line
 * may cut into one. As in the selftest, a VMA that changes during the read may be reported twice:
 * printed, then merged with its neighbour, and found again as the next VMA, extended, so its line
 * starts below the previous line's end. The series does not change this path.
 *
 * <p>{@code /proc/pid/smaps} ({@link ProcFile#SMAPS}) shares {@code m_start}/{@code m_next} but not
 * the per-VMA path: {@code lock_vma_range()} takes {@code mmap_read_lock_killable()} for every file
 * but {@code maps}, because {@code show_smap()} walks the page tables ({@code smaps_pte_range}). So
 * a smaps reader holds {@code mmap_lock} for each {@code read()} in every world, and counts the
 * present pages of each VMA it prints (its {@code Rss}). {@code numa_maps} takes the same path.
 */
public final class ProcMapsReader implements KernelCaller {
  /** Which file of {@code /proc/pid} is read. */
  public enum ProcFile {
    /** {@code /proc/pid/maps}: {@code lock_next_vma()} per line since 6.17. */
    MAPS(CallerKind.PROC_MAPS, LINES_PER_READ),
    /**
     * {@code /proc/pid/smaps}: {@code mmap_read_lock_killable()} per {@code read()}; about 5 VMAs
     * per one-page {@code read()}: 4.9 measured on the build machine (Linux 6.18, 409 VMAs, 774
     * bytes per entry, 4,096-byte reads of {@code /proc/self/smaps}).
     */
    SMAPS(CallerKind.PROC_SMAPS, 5);

    final CallerKind kind;
    final int linesPerRead;

    ProcFile(CallerKind kind, int linesPerRead) {
      this.kind = kind;
      this.linesPerRead = linesPerRead;
    }
  }

  /**
   * Lines per {@code read()}: seq_file's buffer is one page ({@code seq_read_iter}, {@code
   * fs/seq_file.c}); {@code docs/kernel-costs.c} measured 78.8 lines of anonymous mappings per
   * 4,096-byte {@code read()} on the build machine (about 52 bytes a line): 79.
   */
  public static final int LINES_PER_READ = 79;

  private final SimContext ctx;
  private final MmStruct mm;
  private final ProcFile file;
  private final Hold hold;
  private final long[] textStarts;
  private final long[] textEnds;
  private final LongAdder fallbacks = new LongAdder();
  private final LongAdder residentSeen = new LongAdder();

  /**
   * Creates a reader.
   *
   * @param ctx the run's context
   */
  public ProcMapsReader(SimContext ctx) {
    this(ctx, ProcFile.MAPS);
  }

  /**
   * Creates a reader of the given file.
   *
   * @param ctx the run's context
   * @param file {@code maps} or {@code smaps}
   * @throws IllegalArgumentException if {@code file} is null
   */
  public ProcMapsReader(SimContext ctx, ProcFile file) {
    if (file == null) {
      throw new IllegalArgumentException("file must not be null");
    }
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.file = file;
    this.hold = ctx.cost().hold(file.kind);
    int[] text = ctx.layout().textSlots();
    textStarts = new long[text.length];
    textEnds = new long[text.length];
    for (int i = 0; i < text.length; i++) {
      textStarts[i] = ctx.layout().slotStart(text[i]);
      textEnds[i] = ctx.layout().slotEnd(text[i]);
    }
  }

  @Override
  public String name() {
    return file.kind.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    long before = fallbacks.sum();
    int lines = readMaps();
    if (lines < 0) {
      return Outcome.ERROR;
    }
    return ctx.world().lockMode() == LockMode.MMAP_LOCK_ONLY
            || file == ProcFile.SMAPS
            || fallbacks.sum() != before
        ? Outcome.MMAP_LOCKED
        : Outcome.VMA_LOCKED;
  }

  /**
   * The {@code read()} calls that fell back to {@code mmap_lock} ({@code fallback_to_mmap_lock}).
   *
   * @return the count so far
   */
  @Override
  public long retries() {
    return fallbacks.sum();
  }

  /**
   * Reads the whole maps file once. Context: holds no lock of the mm on entry or return; may block
   * in {@code mmap_read_lock} (without per-VMA locks, or in a fallback), and off the CPU when the
   * cost model preempts it. Anomalies are reported to the context's {@link Violations}.
   *
   * @return the number of lines (VMAs) read
   */
  public int readMaps() {
    Scan scan = new Scan(preemptLine());
    if (ctx.world().lockMode() == LockMode.MMAP_LOCK_ONLY || file == ProcFile.SMAPS) {
      readLocked(scan);
    } else {
      readPerVma(scan);
    }
    scan.finish();
    return scan.lines;
  }

  /**
   * The present pages that smaps reads have counted so far, summed over reads ({@code Rss} in
   * pages); 0 for a maps reader.
   *
   * @return the sum
   */
  public long residentPagesSeen() {
    return residentSeen.sum();
  }

  /** {@code smaps_pte_range()}: the VMA's present pages. */
  private long residentPages(long start, long end) {
    long n = 0;
    for (long a = start; a < end; a += AddressLayout.PAGE) {
      if (ctx.pages().present(a)) {
        n++;
      }
    }
    return n;
  }

  /** The line (0-based) at which this read goes off the CPU, or -1. */
  private int preemptLine() {
    if (hold.offCpuNanos() == 0 || !CostModel.offCpuNow(hold)) {
      return -1;
    }
    return java.util.concurrent.ThreadLocalRandom.current().nextInt(Math.max(mm.mapCount(), 1));
  }

  /** Kernels before 6.17: each {@code read()} between {@code m_start} and {@code m_stop}. */
  private void readLocked(Scan scan) {
    boolean more = true;
    while (more) {
      mm.mmapReadLock(); // m_start: mmap_read_lock_killable()
      try {
        VmArea vma = mm.findVma(scan.from);
        for (int n = 0; vma != null && n < file.linesPerRead; n++) {
          scan.line(vma, n == 0);
          vma = mm.findVma(vma.end());
        }
        more = vma != null;
      } finally {
        mm.mmapReadUnlock(); // m_stop
      }
    }
  }

  /** Since 6.17: {@code lock_next_vma()} per line; {@code fallback_to_mmap_lock()} on EAGAIN. */
  private void readPerVma(Scan scan) {
    boolean mmapLocked = false;
    try {
      for (int n = 0; ; n++) {
        if (n == LINES_PER_READ) { // m_stop, then the next read()'s m_start
          n = 0;
          if (mmapLocked) {
            mm.mmapReadUnlock();
            mmapLocked = false;
          }
        }
        VmArea vma;
        if (mmapLocked) {
          vma = mm.findVma(scan.from); // vma_next() under mmap_lock
        } else {
          try {
            // get_next_vma(): lock_next_vma() with the caller's RCU section (kernel: held from
            // lock_vma_range() to unlock_vma_range(), across the lines; here entered per line and
            // left before the line's cost is spent, so that the simulated hold, which may sleep,
            // is not inside a read section).
            Rcu.Reader rd = mm.rcu().reader();
            rd.lock();
            try {
              vma = mm.lockNextVma(rd, scan.from);
            } finally {
              rd.unlock();
            }
          } catch (MmErrnoException e) {
            if (e.errno() != Errno.EAGAIN) {
              throw e;
            }
            mm.mmapReadLock(); // fallback_to_mmap_lock(): mmap_read_lock_killable()
            mmapLocked = true;
            fallbacks.increment();
            vma = mm.findVma(scan.from);
          }
        }
        if (vma == null) {
          return;
        }
        try {
          scan.line(vma, true);
        } finally {
          if (!mmapLocked) {
            vma.endRead();
          }
        }
      }
    } finally {
      if (mmapLocked) {
        mm.mmapReadUnlock();
      }
    }
  }

  /** One read's position and checks. */
  private final class Scan {
    final int preemptAt;
    long from;
    int lines;
    long rss;
    int nextText;

    Scan(int preemptAt) {
      this.preemptAt = preemptAt;
    }

    /**
     * Prints one line: checks it, then spends the line's cost holding the line's lock.
     *
     * @param vma the VMA, held by its read lock or under {@code mmap_lock}
     * @param mayOverlap the line was found by a fresh lookup (after a lock was dropped), so it may
     *     start below the previous line's end (a VMA merged with the one printed before)
     */
    void line(VmArea vma, boolean mayOverlap) {
      String who = name();
      long start = vma.start();
      long end = vma.end();
      long flags = vma.flags();
      if (end <= from) {
        ctx.violations()
            .violation(
                who,
                "lock_next_vma("
                    + SimContext.hex(from)
                    + ") returned "
                    + SimContext.hex(start)
                    + "-"
                    + SimContext.hex(end)
                    + " ending at or before it");
      }
      if (!mayOverlap && start < from) {
        ctx.violations().violation(who, "overlap under mmap_lock at " + SimContext.hex(start));
      }
      if (vma.mm() != mm || (ctx.world().lockMode() == LockMode.PER_VMA && !vma.isAttached())) {
        ctx.violations()
            .violation(
                who,
                "F2/F3: reported a detached or foreign VMA "
                    + SimContext.hex(start)
                    + "-"
                    + SimContext.hex(end));
      }
      // start < from is allowed after a fresh lookup: a VMA merged with the one printed before is
      // found again as the next VMA and printed extended (the selftest accepts exactly this);
      // lines never go backwards (end > from, checked above) and never cut into a VMA that stood
      // still. The text slots below this line's end must have been reported exactly by now.
      while (nextText < textStarts.length && textStarts[nextText] < end) {
        if (start == textStarts[nextText] && end == textEnds[nextText]) {
          if (flags != AddressLayout.TEXT_FLAGS) {
            ctx.violations()
                .violation(
                    who,
                    "text VMA " + SimContext.hex(start) + " has flags " + VmFlags.toString(flags));
          }
        } else {
          ctx.violations()
              .violation(
                  who,
                  "F11: text VMA "
                      + SimContext.hex(textStarts[nextText])
                      + "-"
                      + SimContext.hex(textEnds[nextText])
                      + " not reported whole (saw "
                      + SimContext.hex(start)
                      + "-"
                      + SimContext.hex(end)
                      + ")");
        }
        nextText++;
      }
      if (file == ProcFile.SMAPS) {
        rss += residentPages(start, end); // smaps_pte_range(): the page-table walk
      }
      CpuWork.spin(hold.cpuNanos()); // show_map_vma(): the line's formatting
      if (lines == preemptAt) {
        CpuWork.park(hold.offCpuNanos()); // preempted mid-read, holding the line's lock
      }
      from = end;
      lines++;
    }

    void finish() {
      residentSeen.add(rss);
      while (nextText < textStarts.length) {
        ctx.violations()
            .violation(
                name(),
                "F11: text VMA "
                    + SimContext.hex(textStarts[nextText])
                    + " missing from the maps file");
        nextText++;
      }
    }
  }
}
