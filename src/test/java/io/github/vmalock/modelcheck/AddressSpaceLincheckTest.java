package io.github.vmalock.modelcheck;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.rcu.Rcu;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the address space under Lincheck's model checker: {@code mmap}, {@code
 * munmap}, {@code mprotect} (each taking the mmap write lock itself), {@code vma_lookup} under the
 * mmap read lock, and the two lock-free readers {@code lock_vma_under_rcu} and {@code
 * vma_start_read_unlocked}, each followed by {@code vma_end_read}, must give the results of some
 * sequential run. The sequential specification is this class run on one thread.
 *
 * <p>A reader's result describes the VMA it got read-locked ({@code [start, end) flags}), read
 * while it holds the reference, so the description is the VMA's state at the reader's linearization
 * point. {@code lock_vma_under_rcu} may return null whenever the kernel's may (a writer holds the
 * VMA, or a concurrent change made it retry): a null is then followed by the page fault's fallback
 * (the mmap read lock and {@code vma_lookup}), as {@code do_user_addr_fault} does, so the
 * operation's result is the VMA covering the address either way.
 *
 * <p>The address space is four pages; every mm uses an RCU domain without a reclaimer thread and a
 * private VMA cache. After each scenario: every VMA's {@code refcnt()} is 1 and {@code mapCount()}
 * matches the VMAs found.
 */
@Tag("lincheck")
@Param(name = "page", gen = IntGen.class, conf = "0:3")
@Param(name = "pages", gen = IntGen.class, conf = "1:2")
@Param(name = "prot", gen = IntGen.class, conf = "1:3")
public class AddressSpaceLincheckTest {

  static final long BASE = 0x100000L;
  static final long PAGE = MmStruct.PAGE_SIZE;

  private final MmStruct mm =
      MmStruct.builder()
          .rcu(Rcu.builder().reclaimerThread(false).build())
          .cache(new VmAreaCache())
          .build();

  /** Starts with one VMA over pages 1 and 2. */
  public AddressSpaceLincheckTest() {
    mm.mmap(BASE + PAGE, 2 * PAGE, VmFlags.VM_READ);
  }

  /** Instruments the protocol classes outside the measured invocations (see LincheckWarmUp). */
  @BeforeAll
  static void instrumentFirst() {
    LincheckWarmUp.instrumentProtocolClasses();
  }

  static long addr(int page) {
    return BASE + page * PAGE;
  }

  static long length(int page, int pages) {
    return Math.min(pages, 4 - page) * PAGE;
  }

  /** prot 1: r, 2: w, 3: rw. */
  static long flags(int prot) {
    return prot & (VmFlags.VM_READ | VmFlags.VM_WRITE);
  }

  static String describe(VmArea v) {
    return "[" + (v.start() - BASE) / PAGE + "," + (v.end() - BASE) / PAGE + ") " + v.flags();
  }

  /** {@code mmap(MAP_FIXED)}. */
  @Operation
  public String mmap(
      @Param(name = "page") int page,
      @Param(name = "pages") int pages,
      @Param(name = "prot") int prot) {
    return describe(mm.mmap(addr(page), length(page, pages), flags(prot)));
  }

  /** {@code munmap}. */
  @Operation
  public void munmap(@Param(name = "page") int page, @Param(name = "pages") int pages) {
    mm.munmap(addr(page), length(page, pages));
  }

  /** {@code mprotect}: "ENOMEM" when the range has a hole (nothing changed). */
  @Operation
  public String mprotect(
      @Param(name = "page") int page,
      @Param(name = "pages") int pages,
      @Param(name = "prot") int prot) {
    try {
      mm.mprotect(addr(page), length(page, pages), flags(prot));
      return "ok";
    } catch (IllegalStateException e) {
      return e.getMessage().contains("ENOMEM") ? "ENOMEM" : e.toString();
    }
  }

  /** {@code vma_lookup} under the mmap read lock. */
  @Operation
  public String vmaLookup(@Param(name = "page") int page) {
    mm.mmapReadLock();
    try {
      VmArea v = mm.vmaLookup(addr(page));
      return v == null ? null : describe(v);
    } finally {
      mm.mmapReadUnlock();
    }
  }

  /** {@code lock_vma_under_rcu} + {@code vma_end_read}, with the fault path's fallback on null. */
  @Operation
  public String lockVmaUnderRcu(@Param(name = "page") int page) {
    VmArea v = mm.lockVmaUnderRcu(addr(page));
    if (v == null) {
      return vmaLookup(page);
    }
    try {
      return describe(v);
    } finally {
      v.endRead();
    }
  }

  /** {@code vma_start_read_unlocked} + {@code vma_end_read}: null only when nothing is mapped. */
  @Operation
  public String vmaStartReadUnlocked(@Param(name = "page") int page) {
    VmArea v = mm.vmaStartReadUnlocked(addr(page));
    if (v == null) {
      return null;
    }
    try {
      return describe(v);
    } finally {
      v.endRead();
    }
  }

  /** No leaked reference, and mapCount() agrees with the VMAs found. */
  @Validate
  public void validate() {
    mm.mmapReadLock();
    try {
      int n = 0;
      for (VmArea v = mm.findVma(0); v != null; v = mm.findVma(v.end())) {
        n++;
        if (v.refcnt() != 1) {
          throw new IllegalStateException("refcnt " + v.refcnt() + " on " + v);
        }
      }
      if (n != mm.mapCount()) {
        throw new IllegalStateException("mapCount " + mm.mapCount() + " but " + n + " VMAs");
      }
    } finally {
      mm.mmapReadUnlock();
    }
  }

  @Test
  @DisplayName(
      "mmap / munmap / mprotect / vma_lookup / lock_vma_under_rcu / vma_start_read_unlocked linearizable")
  void modelCheck() {
    new ModelCheckingOptions()
        .iterations(Scale.pick(1, 100))
        .invocationsPerIteration(Scale.pick(100, 5_000))
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .check(AddressSpaceLincheckTest.class);
  }
}
