package io.github.vmalock.sim;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.SplittableRandom;

/**
 * A {@code /proc/pid/maps} reader: {@code m_start}/{@code m_next} of fs/proc/task_mmu.c, which
 * since 6.17 walk the VMAs with {@code lock_next_vma()} under RCU instead of holding {@code
 * mmap_lock} for the whole read. Each step locks the next VMA at or after the end of the previous
 * one, prints it, and unlocks it.
 *
 * <p>It checks what the kernel's {@code tools/testing/selftests/proc/proc-maps-race.c} checks:
 * every line ends after the previous one ({@code lock_next_vma()} returns a VMA with {@code vm_end
 * > from}), and a VMA that existed for the whole read is reported exactly once and whole: no gap,
 * overlap or duplicate that did not exist (F11). The layout's text slots are such VMAs: no writer
 * touches them, so each must appear exactly once with its exact range and flags, and no other line
 * may cut into one. As in the selftest, a VMA that changes during the read may be reported twice:
 * printed, then merged with its neighbour, and found again as the next VMA, extended, so its line
 * starts below the previous line's end. The series does not change this path. In a world without
 * per-VMA locks the reader holds {@code mmap_lock} (read) for the whole read, as kernels before
 * 6.17 do.
 */
public final class ProcMapsReader implements KernelCaller {
  private final SimContext ctx;
  private final MmStruct mm;
  private final long[] textStarts;
  private final long[] textEnds;

  /**
   * Creates a reader.
   *
   * @param ctx the run's context
   */
  public ProcMapsReader(SimContext ctx) {
    this.ctx = ctx;
    this.mm = ctx.mm();
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
    return CallerKind.PROC_MAPS.label();
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    int lines = readMaps();
    if (lines < 0) {
      return Outcome.ERROR;
    }
    return ctx.world().lockMode() == io.github.vmalock.mm.LockMode.MMAP_LOCK_ONLY
        ? Outcome.MMAP_LOCKED
        : Outcome.VMA_LOCKED;
  }

  /**
   * Without per-VMA locks ({@code MMAP_LOCK_ONLY}): {@code m_start} takes {@code
   * mmap_read_lock_killable()} and {@code m_stop} drops it, so the whole (small) file is read under
   * {@code mmap_lock}, and the output is a consistent snapshot.
   */
  private int readMapsLocked() {
    String who = name();
    int lines = 0;
    int nextText = 0;
    mm.mmapReadLock();
    try {
      long prevEnd = Long.MIN_VALUE;
      for (VmArea vma = mm.findVma(0); vma != null; vma = mm.findVma(vma.end())) {
        if (vma.start() < prevEnd) {
          ctx.violations()
              .violation(who, "overlap under mmap_lock at " + SimContext.hex(vma.start()));
        }
        while (nextText < textStarts.length && textStarts[nextText] < vma.end()) {
          if (vma.start() != textStarts[nextText] || vma.end() != textEnds[nextText]) {
            ctx.violations()
                .violation(
                    who,
                    "text VMA "
                        + SimContext.hex(textStarts[nextText])
                        + " not reported whole under mmap_lock");
          }
          nextText++;
        }
        prevEnd = vma.end();
        lines++;
      }
    } finally {
      mm.mmapReadUnlock();
    }
    if (nextText < textStarts.length) {
      ctx.violations().violation(who, "text VMA missing under mmap_lock");
    }
    return lines;
  }

  /**
   * Reads the whole maps file once. Context: holds no lock of the mm on entry or return; may block
   * only in {@code lock_next_vma()}'s {@code mmap_lock} fallback. Anomalies are reported to the
   * context's {@link Violations}.
   *
   * @return the number of lines (VMAs) read
   */
  public int readMaps() {
    if (ctx.world().lockMode() == io.github.vmalock.mm.LockMode.MMAP_LOCK_ONLY) {
      return readMapsLocked();
    }
    String who = name();
    long from = 0;
    int lines = 0;
    int nextText = 0;
    VmArea vma = mm.lockNextVma(from);
    while (vma != null) {
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
      if (vma.mm() != mm || !vma.isAttached()) {
        ctx.violations()
            .violation(
                who,
                "F2/F3: reported a detached or foreign VMA "
                    + SimContext.hex(start)
                    + "-"
                    + SimContext.hex(end));
      }
      // start < prevEnd is allowed: a VMA merged with the one printed before is found again as
      // the next VMA and printed extended (the selftest accepts exactly this); lines never go
      // backwards (end > from, checked above) and never cut into a VMA that stood still.
      // The text slots below this line's end must have been reported exactly by now.
      while (nextText < textStarts.length && textStarts[nextText] < end) {
        if (start == textStarts[nextText] && end == textEnds[nextText]) {
          if (flags != AddressLayout.TEXT_FLAGS) {
            ctx.violations()
                .violation(
                    who,
                    "text VMA "
                        + SimContext.hex(start)
                        + " has flags "
                        + io.github.vmalock.mm.VmFlags.toString(flags));
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
      from = end;
      lines++;
      vma.endRead();
      vma = mm.lockNextVma(from);
    }
    while (nextText < textStarts.length) {
      ctx.violations()
          .violation(
              who,
              "F11: text VMA "
                  + SimContext.hex(textStarts[nextText])
                  + " missing from the maps file");
      nextText++;
    }
    return lines;
  }
}
