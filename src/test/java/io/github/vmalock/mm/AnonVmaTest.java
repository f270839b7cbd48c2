package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The {@code anon_vma} of a VMA: created by a write fault ({@link MmStruct#handleMmFault(long,
 * boolean)}), inherited on split, kept by an {@code mremap} move, compared on merge ({@code
 * is_mergeable_anon_vma}), deciding {@code mprotect}'s {@code VM_ACCOUNT}. The expected layouts are
 * the ones the running kernel gave for the same sequences (KernelTraceConformanceTest's directed
 * case checks the merge refusal against it).
 */
@DisplayName("anon_vma: write faults, split, merge, mremap, mprotect VM_ACCOUNT, fork")
class AnonVmaTest {
  private static final long P = MmStruct.PAGE_SIZE;
  private static final long B = 0x7f00_0000_0000L;
  private static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;
  private static final long R = VmFlags.VM_READ;
  private static final int FIXED = MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED;

  private static MmStruct mm() {
    return MmStruct.builder().debug(true).accountCommit(true).build();
  }

  /** The syscall-shaped private anonymous {@code mmap(MAP_FIXED)}, which sets VM_ACCOUNT. */
  private static void map(MmStruct mm, long addr, long len, long prot) {
    mm.mmap(addr, len, (int) prot, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED);
  }

  private static AnonVma anonAt(MmStruct mm, long addr) {
    mm.mmapReadLock();
    try {
      return mm.vmaLookup(addr).anonVma();
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** The VMAs from B, as "start..end perms ac" in pages from B. */
  private static List<String> layout(MmStruct mm) {
    List<String> out = new ArrayList<>();
    for (VmaSnapshot v : mm.vmas()) {
      if (v.start() >= B && v.start() < B + 64 * P) {
        out.add(
            (v.start() - B) / P
                + ".."
                + (v.end() - B) / P
                + " "
                + VmFlags.toString(v.flags()).substring(0, 3)
                + ((v.flags() & VmFlags.VM_ACCOUNT) != 0 ? " ac" : ""));
      }
    }
    return out;
  }

  @Test
  @DisplayName("a write fault creates the anon_vma once; a read fault creates none")
  void writeFaultCreatesOnce() {
    MmStruct mm = mm();
    map(mm, B, 2 * P, RW);
    assertThat(mm.handleMmFault(B + 5, false)).isNull();
    assertThat(anonAt(mm, B)).isNull();
    AnonVma av = mm.handleMmFault(B + P + 17, true);
    assertThat(av).isNotNull().isSameAs(anonAt(mm, B));
    assertThat(mm.handleMmFault(B, true)).isSameAs(av);
    mm.assertNoLocksHeld();
    mm.close();
  }

  @Test
  @DisplayName("a split shares the anon_vma; mprotect back merges the three pieces again")
  void splitInherits() {
    MmStruct mm = mm();
    map(mm, B, 4 * P, RW);
    AnonVma av = mm.handleMmFault(B, true);
    mm.mprotect(B + P, P, R);
    assertThat(layout(mm)).containsExactly("0..1 rw- ac", "1..2 r-- ac", "2..4 rw- ac");
    assertThat(anonAt(mm, B)).isSameAs(av);
    assertThat(anonAt(mm, B + P)).isSameAs(av);
    assertThat(anonAt(mm, B + 3 * P)).isSameAs(av);
    mm.mprotect(B + P, P, RW);
    assertThat(layout(mm)).containsExactly("0..4 rw- ac");
    mm.close();
  }

  @Test
  @DisplayName("mprotect keeps VM_ACCOUNT of a written VMA, drops it of an unwritten one, sets it")
  void mprotectAccount() {
    MmStruct mm = mm();
    map(mm, B, 2 * P, RW);
    map(mm, B + 4 * P, 2 * P, RW);
    mm.handleMmFault(B, true);
    mm.mprotect(B, 2 * P, R);
    mm.mprotect(B + 4 * P, 2 * P, R);
    assertThat(layout(mm)).containsExactly("0..2 r-- ac", "4..6 r--");
    mm.mprotect(B + 4 * P, 2 * P, RW);
    assertThat(layout(mm)).containsExactly("0..2 r-- ac", "4..6 rw- ac");
    mm.close();
  }

  @Test
  @DisplayName("two neighbours with different anon_vmas do not merge (mremap back into place)")
  void differentAnonVmasDoNotMerge() {
    MmStruct mm = mm();
    map(mm, B + 2 * P, 2 * P, RW);
    AnonVma y = mm.handleMmFault(B + 2 * P, true);
    assertThat(mm.mremap(B + 2 * P, 2 * P, 2 * P, FIXED, B + 30 * P)).isEqualTo(B + 30 * P);
    map(mm, B, 2 * P, RW);
    AnonVma x = mm.handleMmFault(B, true);
    assertThat(x).isNotSameAs(y);
    assertThat(mm.mremap(B + 30 * P, 2 * P, 2 * P, FIXED, B + 2 * P)).isEqualTo(B + 2 * P);
    // Same flags, contiguous pgoff (the moved VMA kept its own): only the anon_vmas differ.
    assertThat(layout(mm)).containsExactly("0..2 rw- ac", "2..4 rw- ac");
    assertThat(anonAt(mm, B + 2 * P)).isSameAs(y);
    // An unwritten neighbour merges with a written one and the result keeps the anon_vma.
    map(mm, B + 4 * P, 2 * P, RW);
    assertThat(layout(mm)).containsExactly("0..2 rw- ac", "2..6 rw- ac");
    assertThat(anonAt(mm, B + 5 * P)).isSameAs(y);
    mm.close();
  }

  @Test
  @DisplayName("a write fault next to a compatible written VMA reuses its anon_vma")
  void neighbourReuse() {
    MmStruct mm = mm();
    map(mm, B, 2 * P, RW);
    AnonVma x = mm.handleMmFault(B, true);
    map(mm, B + 2 * P, 2 * P, RW | VmFlags.VM_EXEC); // differs in access bits only
    assertThat(mm.handleMmFault(B + 3 * P, true)).isSameAs(x);
    mm.mprotect(B + 2 * P, 2 * P, RW);
    assertThat(layout(mm)).containsExactly("0..4 rw- ac");
    mm.close();
  }

  @Test
  @DisplayName("a write to a non-writable VMA, any access to PROT_NONE, a hole: EFAULT, no change")
  void faultErrors() {
    MmStruct mm = mm();
    map(mm, B, 2 * P, R);
    map(mm, B + 4 * P, P, VmFlags.VM_NONE);
    assertThatThrownBy(() -> mm.handleMmFault(B + 1, true))
        .isInstanceOf(MmErrnoException.class)
        .hasMessageContaining("not permitted")
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EFAULT));
    assertThat(anonAt(mm, B)).isNull();
    assertThat(mm.handleMmFault(B + 1, false)).isNull();
    assertThatThrownBy(() -> mm.handleMmFault(B + 4 * P, false))
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EFAULT));
    assertThatThrownBy(() -> mm.handleMmFault(B + 2 * P, true))
        .hasMessageContaining("no VMA")
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EFAULT));
    assertThatThrownBy(() -> mm.handleMmFault(-1L, true))
        .hasMessageContaining("outside the user address space")
        .satisfies(e -> assertThat(Errno.of(e)).contains(Errno.EFAULT));
    mm.assertNoLocksHeld();
    assertThat(layout(mm)).containsExactly("0..2 r--", "4..5 ---");
    mm.close();
  }

  @Test
  @DisplayName("concurrent write faults on one VMA agree on one anon_vma")
  void concurrentFaultsAgree() throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 50; round++) {
        MmStruct mm = mm();
        map(mm, B, 8 * P, RW);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<AnonVma>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          long addr = B + t * 2 * P;
          fs.add(
              ex.submit(
                  () -> {
                    go.await();
                    return mm.handleMmFault(addr, true);
                  }));
        }
        go.countDown();
        AnonVma first = fs.get(0).get(10, TimeUnit.SECONDS);
        for (Future<AnonVma> f : fs) {
          assertThat(f.get(10, TimeUnit.SECONDS)).isSameAs(first);
        }
        assertThat(anonAt(mm, B)).isSameAs(first);
        mm.close();
      }
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  @DisplayName("fork: a child VMA gets an anon_vma of its own, linked to the parent's")
  void forkGivesOwnAnonVma() throws Exception {
    MmStruct mm = mm();
    map(mm, B, 2 * P, RW);
    map(mm, B + 4 * P, 2 * P, RW);
    AnonVma x = mm.handleMmFault(B, true);
    MmStruct child = mm.dupMmap();
    AnonVma c = anonAt(child, B);
    assertThat(c).isNotNull().isNotSameAs(x);
    assertThat(c.parent()).isSameAs(x);
    assertThat(anonAt(child, B + 4 * P)).isNull();
    child.close();
    mm.close();
  }
}
