package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code mremap}: each case as the running Linux 6.18 kernel answered it (a probe of private
 * anonymous mappings in a window of 64 pages; the same sequences, with the kernel's results, are
 * the cases below).
 */
@DisplayName("mremap: shrink, grow in place, move, MREMAP_FIXED, errors as the kernel returns them")
class MremapTest {
  private static final long P = MmStruct.PAGE_SIZE;
  private static final long B = 0x7f00_0000_0000L;
  private static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;
  private static final long R = VmFlags.VM_READ;

  private static MmStruct mm() {
    return MmStruct.builder().debug(true).build();
  }

  /** The VMAs in the window, as "start..end flags pgoff" in pages from B. */
  private static List<String> layout(MmStruct mm) {
    List<String> out = new ArrayList<>();
    mm.mmapReadLock();
    try {
      for (VmArea v = mm.findVma(B); v != null && v.start() < B + 64 * P; v = mm.findVma(v.end())) {
        out.add(
            (v.start() - B) / P
                + ".."
                + (v.end() - B) / P
                + " "
                + VmFlags.toString(v.flags()).substring(0, 3)
                + " pgoff+"
                + (v.pgoff() - (B >>> 12)));
      }
    } finally {
      mm.mmapReadUnlock();
    }
    return out;
  }

  @Test
  @DisplayName(
      "shrink unmaps the tail (over any VMAs); grow in place when the pages after are free")
  void shrinkAndGrow() {
    MmStruct mm = mm();
    mm.mmap(B, 4 * P, RW);
    assertThat(mm.mremap(B, 4 * P, 2 * P, 0, 0)).isEqualTo(B);
    assertThat(layout(mm)).containsExactly("0..2 rw- pgoff+0");
    assertThat(mm.mremap(B, 2 * P, 4 * P, 0, 0)).isEqualTo(B);
    assertThat(layout(mm)).containsExactly("0..4 rw- pgoff+0");
    mm.mmap(B + 5 * P, 2 * P, R);
    // kernel: ENOMEM (cannot grow into 5..6 without MAYMOVE), EFAULT (0..6 spans two VMAs)
    assertThatThrownBy(() -> mm.mremap(B, 4 * P, 6 * P, 0, 0))
        .isInstanceOf(MmErrnoException.class)
        .satisfies(e -> assertThat(((MmErrnoException) e).errno()).isEqualTo(Errno.ENOMEM));
    assertThatThrownBy(() -> mm.mremap(B, 6 * P, 8 * P, MmStruct.MREMAP_MAYMOVE, 0))
        .satisfies(e -> assertThat(((MmErrnoException) e).errno()).isEqualTo(Errno.EFAULT));
    assertThat(layout(mm)).containsExactly("0..4 rw- pgoff+0", "5..7 r-- pgoff+5");
    // kernel: ok, 0..1 left (the shrink unmaps 1..7 whatever it covers)
    assertThat(mm.mremap(B, 7 * P, P, 0, 0)).isEqualTo(B);
    assertThat(layout(mm)).containsExactly("0..1 rw- pgoff+0");
    mm.assertQuiescent();
  }

  @Test
  @DisplayName(
      "MREMAP_FIXED moves a written VMA, keeps its flags, page offset and anon_vma, replaces the"
          + " target")
  void fixedMoves() {
    MmStruct mm = mm();
    mm.mmap(B, 4 * P, RW);
    // Written, so that copy_vma keeps the page offset (an unwritten one takes the new address's).
    AnonVma av = mm.handleMmFault(B, true);
    mm.mmap(B + 5 * P, 2 * P, R);
    int fixed = MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED;
    assertThat(mm.mremap(B, 4 * P, 4 * P, fixed, B + 20 * P)).isEqualTo(B + 20 * P);
    assertThat(layout(mm)).containsExactly("5..7 r-- pgoff+5", "20..24 rw- pgoff+0");
    mm.mmapReadLock();
    try {
      assertThat(mm.vmaLookup(B + 20 * P).anonVma()).isSameAs(av);
    } finally {
      mm.mmapReadUnlock();
    }
    // kernel: EINVAL (overlap), EINVAL (FIXED without MAYMOVE)
    assertThatThrownBy(() -> mm.mremap(B + 20 * P, 4 * P, 4 * P, fixed, B + 22 * P))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EINVAL")
        .hasMessageContaining("overlaps")
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EINVAL));
    assertThatThrownBy(() -> mm.mremap(B + 20 * P, 4 * P, 4 * P, MmStruct.MREMAP_FIXED, B))
        .hasMessageContaining("EINVAL");
    // kernel: ok at +5, 5..9 rw-p (the r-- VMA it lands on is unmapped)
    assertThat(mm.mremap(B + 20 * P, 4 * P, 4 * P, fixed, B + 5 * P)).isEqualTo(B + 5 * P);
    assertThat(layout(mm)).containsExactly("5..9 rw- pgoff+0");
    // kernel: part of a VMA moves; 5..6, 8..9 stay, 30..32 is the moved part
    assertThat(mm.mremap(B + 6 * P, 2 * P, 2 * P, fixed, B + 30 * P)).isEqualTo(B + 30 * P);
    assertThat(layout(mm))
        .containsExactly("5..6 rw- pgoff+0", "8..9 rw- pgoff+3", "30..32 rw- pgoff+1");
    // kernel: EFAULT for an unmapped source
    assertThatThrownBy(() -> mm.mremap(B + 40 * P, P, P, fixed, B + 50 * P))
        .satisfies(e -> assertThat(Errno.EFAULT).isEqualTo(((MmErrnoException) e).errno()));
    mm.assertQuiescent();
  }

  @Test
  @DisplayName(
      "MAYMOVE grows in place when it can, else moves top-down; a written VMA's pgoff travels with"
          + " it")
  void maymove() {
    MmStruct mm = mm();
    mm.mmap(B + 5 * P, P, RW);
    mm.handleMmFault(B + 5 * P, true);
    mm.mmap(B + 8 * P, P, R);
    assertThat(mm.mremap(B + 5 * P, P, 3 * P, MmStruct.MREMAP_MAYMOVE, 0)).isEqualTo(B + 5 * P);
    assertThat(layout(mm)).containsExactly("5..8 rw- pgoff+5", "8..9 r-- pgoff+8");
    long moved = mm.mremap(B + 5 * P, 3 * P, 6 * P, MmStruct.MREMAP_MAYMOVE, 0);
    assertThat(moved).isNotEqualTo(B + 5 * P);
    assertThat(layout(mm)).containsExactly("8..9 r-- pgoff+8");
    mm.mmapReadLock();
    try {
      VmArea v = mm.findVma(moved);
      assertThat(v.start()).isEqualTo(moved);
      assertThat(v.end()).isEqualTo(moved + 6 * P);
      assertThat(v.pgoff()).isEqualTo((B >>> 12) + 5);
      assertThat(v.flags()).isEqualTo(RW);
    } finally {
      mm.mmapReadUnlock();
    }
    mm.assertQuiescent();
  }

  @Test
  @DisplayName(
      "copy_vma: an unwritten VMA takes the new address's pgoff and merges there like a fresh"
          + " mapping; MREMAP_FIXED without resize moves several VMAs, gaps kept")
  void unwrittenMoveAndMultiVmaMove() {
    MmStruct mm = mm();
    mm.mmap(B, 2 * P, RW);
    mm.mmap(B + 12 * P, 2 * P, RW);
    int fixed = MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED;
    assertThat(mm.mremap(B + 12 * P, 2 * P, 2 * P, fixed, B + 2 * P)).isEqualTo(B + 2 * P);
    assertThat(layout(mm)).containsExactly("0..4 rw- pgoff+0");
    // remap_move (Linux 6.17+): 0..4 and 6..7 move to 20.., the gap of 2 pages kept.
    mm.mmap(B + 6 * P, P, R);
    assertThat(mm.mremap(B, 8 * P, 8 * P, fixed, B + 20 * P)).isEqualTo(B + 20 * P);
    assertThat(layout(mm)).containsExactly("20..24 rw- pgoff+20", "26..27 r-- pgoff+26");
    // A gap at the start of the range: EFAULT.
    assertThatThrownBy(() -> mm.mremap(B + 19 * P, 4 * P, 4 * P, fixed, B + 40 * P))
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EFAULT));
    mm.assertQuiescent();
  }

  @Test
  @DisplayName("bad arguments name the problem and change nothing")
  void badArguments() {
    MmStruct mm = mm();
    mm.mmap(B + 5 * P, P, RW);
    List<String> before = layout(mm);
    assertThatThrownBy(() -> mm.mremap(B + 5 * P, P, 0, MmStruct.MREMAP_MAYMOVE, 0))
        .hasMessageContaining("EINVAL")
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> mm.mremap(B + 5 * P + 1, P, P, 0, 0)).hasMessageContaining("aligned");
    assertThatThrownBy(() -> mm.mremap(B + 5 * P, P + 1, P + 1, 0, 0)).hasMessageContaining("4096");
    assertThatThrownBy(() -> mm.mremap(B + 5 * P, P, P, 64, 0)).hasMessageContaining("flags");
    assertThatThrownBy(() -> mm.mremap(B + 5 * P, P, P, 4 | 1, 0))
        .hasMessageContaining("DONTUNMAP");
    assertThatThrownBy(
            () ->
                mm.mremap(B + 5 * P, P, P, MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED, 0x1000))
        .hasMessageContaining("EPERM");
    assertThat(layout(mm)).isEqualTo(before);
    mm.assertQuiescent();
  }

  @Test
  @DisplayName("a move waits for a reader holding the source VMA; the reader never sees both ends")
  void moveWaitsForReaders() throws Exception {
    MmStruct mm = mm();
    mm.mmap(B, 4 * P, RW);
    VmArea held = mm.lockVmaUnderRcu(B);
    assertThat(held).isNotNull();
    CountDownLatch started = new CountDownLatch(1);
    AtomicLong result = new AtomicLong();
    Thread writer =
        new Thread(
            () -> {
              started.countDown();
              result.set(
                  mm.mremap(
                      B,
                      4 * P,
                      4 * P,
                      MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED,
                      B + 20 * P));
            });
    writer.start();
    started.await();
    writer.join(200);
    assertThat(writer.isAlive()).as("mremap waits in vma_start_write for the reader").isTrue();
    // While the source is held, the destination is not visible to a lock-free reader.
    assertThat(mm.lockVmaUnderRcu(B + 20 * P)).isNull();
    assertThat(held.start()).isEqualTo(B);
    assertThat(held.end()).isEqualTo(B + 4 * P);
    held.endRead();
    writer.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(writer.isAlive()).isFalse();
    assertThat(result.get()).isEqualTo(B + 20 * P);
    assertThat(mm.lockVmaUnderRcu(B)).isNull();
    VmArea moved = mm.lockVmaUnderRcu(B + 20 * P);
    assertThat(moved).isNotNull();
    moved.endRead();
    mm.assertQuiescent();
  }
}
