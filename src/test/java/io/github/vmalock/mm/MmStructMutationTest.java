package io.github.vmalock.mm;

import static io.github.vmalock.mm.TestSupport.PAGE;
import static io.github.vmalock.mm.VmFlags.VM_READ;
import static io.github.vmalock.mm.VmFlags.VM_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Edges of {@link MmStruct}, {@link MmapOps} and {@link VmaOps} that the scenario and randomized
 * tests pass through without pinning (survivors of the mutation run, docs/mutation-testing.md): the
 * accessors and the debugger's one-line summary, the builder's lower bound, a range starting at
 * address 0, the end address in the past-{@code taskSize} message, and a top-down {@code mmap} that
 * exactly fills the only free window.
 */
class MmStructMutationTest {

  @Test
  @DisplayName("isDebug, isClosed, name and toString report the mm's state")
  void accessorsAndSummary() {
    MmStruct plain = MmStruct.builder().cache(new VmAreaCache()).debug(false).build();
    MmStruct debug = MmStruct.builder().cache(new VmAreaCache()).debug(true).build();
    assertThat(plain.isDebug()).isFalse();
    assertThat(debug.isDebug()).isTrue();
    assertThat(plain.name()).startsWith("mm#").isNotEqualTo(debug.name());
    assertThat(plain.toString())
        .startsWith(plain.name() + "[map_count=0")
        .contains("PER_VMA")
        .doesNotContain("debug")
        .doesNotContain("closed");
    assertThat(debug.toString()).contains(", debug").doesNotContain("closed");

    assertThat(plain.isClosed()).isFalse();
    plain.close();
    debug.close();
    assertThat(plain.isClosed()).isTrue();
    assertThat(plain.toString()).contains(", closed");
  }

  @Test
  @DisplayName("maxMapCount accepts 1 (one VMA, a second mapping is refused) and rejects 0")
  void maxMapCountLowerBound() {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).maxMapCount(1).build();
    assertThat(mm.maxMapCount()).isEqualTo(1);
    mm.mmap(0x100_0000L, PAGE, VM_READ);
    assertThatThrownBy(() -> mm.mmap(0x200_0000L, PAGE, VM_READ | VM_WRITE))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ENOMEM");
    assertThat(mm.mapCount()).isEqualTo(1);
    assertThatThrownBy(() -> MmStruct.builder().maxMapCount(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxMapCount must be at least 1: 0");
    mm.close();
  }

  @Test
  @DisplayName("a range may start at address 0; one ending past taskSize names its end")
  void rangeEdges() {
    long taskSize = 0x1000_0000L;
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).taskSize(taskSize).build();
    mm.munmap(0, PAGE); // nothing mapped there: a no-op, not an error
    long addr = taskSize - PAGE;
    assertThatThrownBy(() -> mm.munmap(addr, 2 * PAGE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ends past taskSize")
        .hasMessageContaining(Long.toHexString(addr + 2 * PAGE));
    assertThat(mm.mapCount()).isZero();
    mm.close();
  }

  @Test
  @DisplayName("top-down mmap fills a free window of exactly its length, and no longer one")
  void topDownExactFit() {
    long taskSize = MmStruct.MMAP_MIN_ADDR + 5 * PAGE;
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).taskSize(taskSize).build();
    mm.mmap(taskSize - PAGE, PAGE, VM_READ | VM_WRITE); // the top page: 4 pages stay free
    assertThatThrownBy(() -> mm.mmap(5 * PAGE, VM_READ))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ENOMEM");
    VmArea vma = mm.mmap(4 * PAGE, VM_READ); // other flags: no merge with the top page
    assertThat(vma.start()).isEqualTo(MmStruct.MMAP_MIN_ADDR);
    assertThat(vma.end()).isEqualTo(taskSize - PAGE);
    assertThatThrownBy(() -> mm.mmap(PAGE, VM_READ))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ENOMEM");
    assertThat(mm.mapCount()).isEqualTo(2);
    mm.close();
  }

  @Test
  @DisplayName("every return of lockVmaUnderRcu and lockNextVma leaves the RCU read section")
  void lookupsLeaveTheReadSection() {
    MmStruct mm = MmStruct.builder().cache(new VmAreaCache()).build();
    long a = 0x100_0000L;
    mm.mmap(a, PAGE, VM_READ);
    assertThat(mm.lockVmaUnderRcu(a + PAGE)).isNull(); // a gap
    assertThat(mm.rcu().isReadLocked()).isFalse();
    VmArea found = mm.lockVmaUnderRcu(a);
    assertThat(found).isNotNull();
    assertThat(mm.rcu().isReadLocked()).isFalse();
    found.endRead();
    VmArea next = mm.lockNextVma(0);
    assertThat(next).isSameAs(found);
    assertThat(mm.rcu().isReadLocked()).isFalse();
    next.endRead();
    assertThat(mm.lockNextVma(a + PAGE)).isNull(); // nothing above
    assertThat(mm.rcu().isReadLocked()).isFalse();
    assertThat(found.refcnt()).isEqualTo(1);
    mm.close();
  }
}
