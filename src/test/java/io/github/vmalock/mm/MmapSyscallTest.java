package io.github.vmalock.mm;

import static io.github.vmalock.mm.Mman.MAP_ANONYMOUS;
import static io.github.vmalock.mm.Mman.MAP_FIXED;
import static io.github.vmalock.mm.Mman.MAP_FIXED_NOREPLACE;
import static io.github.vmalock.mm.Mman.MAP_NORESERVE;
import static io.github.vmalock.mm.Mman.MAP_PRIVATE;
import static io.github.vmalock.mm.Mman.PROT_READ;
import static io.github.vmalock.mm.Mman.PROT_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The syscall-shaped {@code mmap}, {@link MmStruct#vmas()}, errnos and {@code dumpMaps}. */
class MmapSyscallTest {
  private static final long PAGE = MmStruct.PAGE_SIZE;
  private static final long TASK_SIZE = 1L << 32;
  private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
  private static final int RW = PROT_READ | PROT_WRITE;

  private final MmStruct mm = MmStruct.builder().taskSize(TASK_SIZE).build();

  @AfterEach
  void close() {
    mm.close();
  }

  @Test
  void fixedReplacesAndReturnsTheAddress() {
    assertThat(mm.mmap(0x100000, 4 * PAGE, RW, ANON | MAP_FIXED)).isEqualTo(0x100000);
    assertThat(mm.mmap(0x101000, PAGE, PROT_READ, ANON | MAP_FIXED)).isEqualTo(0x101000);
    assertThat(mm.vmas())
        .extracting(VmaSnapshot::start, VmaSnapshot::end, VmaSnapshot::prot)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0x100000L, 0x101000L, RW),
            org.assertj.core.groups.Tuple.tuple(0x101000L, 0x102000L, PROT_READ),
            org.assertj.core.groups.Tuple.tuple(0x102000L, 0x104000L, RW));
  }

  @Test
  void lengthIsRoundedUp() {
    assertThat(mm.mmap(0x100000, 1, RW, ANON | MAP_FIXED)).isEqualTo(0x100000);
    assertThat(mm.vmas()).singleElement().extracting(VmaSnapshot::end).isEqualTo(0x101000L);
  }

  @Test
  void noreplaceFailsWithEexistOverAMapping() {
    mm.mmap(0x100000, 2 * PAGE, RW, ANON | MAP_FIXED);
    Throwable t = catchThrowable(() -> mm.mmap(0x101000, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE));
    assertThat(t).isInstanceOf(MmErrnoException.class).isInstanceOf(IllegalStateException.class);
    assertThat(Errno.of(t)).contains(Errno.EEXIST);
    assertThat(mm.vmas()).hasSize(1);
    assertThat(mm.mmap(0x102000, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE)).isEqualTo(0x102000);
  }

  @Test
  void aFreeHintIsHonouredAndABusyOneSearchedTopDown() {
    assertThat(mm.mmap(0x200000, PAGE, RW, ANON)).isEqualTo(0x200000);
    long busy = mm.mmap(0x200000, PAGE, RW, ANON);
    assertThat(busy).isEqualTo(TASK_SIZE - PAGE);
    assertThat(mm.mmap(0, PAGE, RW, ANON)).isEqualTo(TASK_SIZE - 2 * PAGE);
    // A hint below mmap_min_addr is raised to it (round_hint_to_min).
    assertThat(mm.mmap(PAGE, PAGE, RW, ANON)).isEqualTo(MmStruct.MMAP_MIN_ADDR);
  }

  @Test
  void accountForPrivateWritableUnlessNoreserve() {
    mm.mmap(0x100000, PAGE, RW, ANON | MAP_FIXED);
    mm.mmap(0x200000, PAGE, PROT_READ, ANON | MAP_FIXED);
    mm.mmap(0x300000, PAGE, RW, ANON | MAP_FIXED | MAP_NORESERVE);
    assertThat(mm.vmas())
        .extracting(v -> v.flags() & (VmFlags.VM_ACCOUNT | VmFlags.VM_NORESERVE))
        .containsExactly(VmFlags.VM_ACCOUNT, 0L, VmFlags.VM_NORESERVE);
  }

  @Test
  void errnosOfArgumentChecks() {
    Throwable einval = catchThrowable(() -> mm.mmap(0, 0, RW, ANON));
    assertThat(einval).isInstanceOf(IllegalArgumentException.class);
    assertThat(Errno.of(einval)).contains(Errno.EINVAL);
    Throwable eperm = catchThrowable(() -> mm.mmap(PAGE, PAGE, RW, ANON | MAP_FIXED));
    assertThat(Errno.of(eperm)).contains(Errno.EPERM);
    assertThat(Errno.of(new IllegalStateException("x"))).isEmpty();
    assertThat(Errno.of(null)).isEmpty();
  }

  @Test
  void mprotectOfZeroLengthReturnsAfterTheAlignmentCheck() {
    mm.mprotect(0x500000, 0, VmFlags.VM_READ); // nothing mapped there: still 0, as the kernel
    assertThat(Errno.of(catchThrowable(() -> mm.mprotect(0x500001, 0, VmFlags.VM_READ))))
        .contains(Errno.EINVAL);
  }

  @Test
  void dumpMapsPrintsOffsetZeroForAnonymousMemory() {
    mm.mmap(0x100000, PAGE, RW, ANON | MAP_FIXED);
    assertThat(mm.dumpMaps()).isEqualTo("00100000-00101000 rw-p 00000000 00:00 0%n".formatted());
  }
}
