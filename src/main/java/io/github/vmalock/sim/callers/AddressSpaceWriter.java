package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.sim.world.AddressLayout;
import java.util.SplittableRandom;

/**
 * The writers: {@code mmap(MAP_FIXED)}, {@code munmap()} and {@code mprotect()} churn inside the
 * layout's anonymous and TCP slots (never the text slots, never the holes between slots). Each call
 * is one {@link MmStruct} address-space operation, which takes the mmap write lock itself and
 * write-locks every VMA it changes (waiting for that VMA's readers), as the syscall does.
 *
 * <p>The ranges are random runs of 1 to 4 pages inside one slot, so VMAs get split, re-merged,
 * shrunk, re-created and (with {@code mprotect}) split by flags, over and over; the writer's time
 * per call (waiting for the mmap lock and for readers included) is the report's writer wait time.
 */
public final class AddressSpaceWriter implements KernelCaller {
  /** Which operation. */
  public enum Op {
    /** {@code mmap(addr, len, prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS)}. */
    MMAP,
    /** {@code munmap(addr, len)}. */
    MUNMAP,
    /** {@code mprotect(addr, len, PROT_READ [| PROT_WRITE])}. */
    MPROTECT,
    /**
     * {@code mremap(addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dest)}: moves a run of pages to
     * another place in the same anonymous slot (write-locking the source VMA and creating the
     * destination write-locked); the pages' present bits move with them.
     */
    MREMAP,
    /**
     * {@code fork()}: {@link MmStruct#dupMmap()} write-locks every VMA of the mm in turn (waiting
     * out each one's readers) and copies it; the child exits at once ({@code exit_mmap}).
     */
    FORK
  }

  private final SimContext ctx;
  private final MmStruct mm;
  private final Op op;

  /**
   * Creates a writer.
   *
   * @param ctx the run's context
   * @param op the operation it performs
   */
  public AddressSpaceWriter(SimContext ctx, Op op) {
    this.ctx = ctx;
    this.mm = ctx.mm();
    this.op = op;
  }

  @Override
  public String name() {
    return switch (op) {
      case MMAP -> CallerKind.MMAP.label();
      case MUNMAP -> CallerKind.MUNMAP.label();
      case MPROTECT -> CallerKind.MPROTECT.label();
      case MREMAP -> CallerKind.MREMAP.label();
      case FORK -> CallerKind.FORK.label();
    };
  }

  @Override
  public Outcome call(SplittableRandom rnd) {
    AddressLayout layout = ctx.layout();
    int slot =
        op == Op.MPROTECT || op == Op.MREMAP
            ? layout.pickSlot(rnd, AddressLayout.Kind.ANON)
            : layout.pickChurnedSlot(rnd);
    int pages = 1 + rnd.nextInt(4);
    int first = rnd.nextInt(AddressLayout.SLOT_PAGES - pages + 1);
    long addr = layout.slotStart(slot) + first * AddressLayout.PAGE;
    long len = pages * AddressLayout.PAGE;
    switch (op) {
      case FORK -> {
        return fork();
      }
      case MREMAP -> {
        return mremap(rnd, layout.slotStart(slot), first, pages);
      }
      case MMAP -> mm.mmap(addr, len, AddressLayout.flags(slot));
      case MUNMAP -> {
        mm.munmap(addr, len);
        for (long a = addr; a < addr + len; a += AddressLayout.PAGE) {
          ctx.pages().clear(a); // the pages went with the VMA
        }
      }
      case MPROTECT -> {
        long prot =
            rnd.nextBoolean() ? AddressLayout.ANON_FLAGS : io.github.vmalock.mm.VmFlags.VM_READ;
        try {
          mm.mprotect(addr, len, prot);
        } catch (IllegalStateException e) {
          if (e.getMessage() != null && e.getMessage().contains("ENOMEM")) {
            return Outcome.WRITE_ENOMEM; // a hole in the range: nothing changed
          }
          throw e;
        }
      }
    }
    return Outcome.WRITE_DONE;
  }

  /** {@code fork()} and the child's {@code exit()}. */
  private Outcome fork() {
    try (MmStruct child = mm.dupMmap()) {
      return child.mapCount() > 0 ? Outcome.WRITE_DONE : Outcome.WRITE_ENOMEM;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // -EINTR: the run is being torn down
      return Outcome.WRITE_ENOMEM;
    }
  }

  /**
   * Moves pages {@code [first, first + pages)} of the slot at {@code slotStart} to a random
   * non-overlapping run of the same slot.
   *
   * @return {@link Outcome#WRITE_DONE}, or {@link Outcome#WRITE_ENOMEM} when {@code mremap} refused
   *     with {@code EFAULT} (the source is not one mapped VMA) and changed nothing
   */
  private Outcome mremap(SplittableRandom rnd, long slotStart, int first, int pages) {
    int dest;
    do {
      dest = rnd.nextInt(AddressLayout.SLOT_PAGES - pages + 1);
    } while (dest < first + pages && first < dest + pages);
    long src = slotStart + first * AddressLayout.PAGE;
    long dst = slotStart + dest * AddressLayout.PAGE;
    long len = pages * AddressLayout.PAGE;
    try {
      mm.mremap(src, len, len, MmStruct.MREMAP_MAYMOVE | MmStruct.MREMAP_FIXED, dst);
    } catch (io.github.vmalock.mm.MmErrnoException e) {
      if (e.errno() == io.github.vmalock.mm.Errno.EFAULT) {
        return Outcome.WRITE_ENOMEM;
      }
      throw e;
    }
    // move_page_tables(): the present bits go with the pages (a fault at the destination between
    // the return and this copy may be overwritten: the page table is a statistic here).
    for (long i = 0; i < len; i += AddressLayout.PAGE) {
      if (ctx.pages().present(src + i)) {
        ctx.pages().set(dst + i);
      } else {
        ctx.pages().clear(dst + i);
      }
      ctx.pages().clear(src + i);
    }
    return Outcome.WRITE_DONE;
  }
}
