package io.github.vmalock.sim.callers;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** Shared set-up of the sim tests. */
public final class SimTestSupport {
  private SimTestSupport() {}

  /** The {@code vmalock.scale} system property: {@code small} (default) or {@code large}. */
  public static boolean large() {
    return "large".equals(System.getProperty("vmalock.scale", "small"));
  }

  /** An mm in debug mode for the world, with the 8-slot layout mapped. */
  public static SimContext ctx(World world) {
    MmStruct mm = MmStruct.builder().lockMode(world.lockMode()).debug(true).build();
    AddressLayout layout = new AddressLayout(AddressLayout.MIN_SLOTS);
    layout.populate(mm);
    return SimContext.of(mm, world, layout);
  }

  /** A page of anonymous slot 0. */
  public static long anon(SimContext ctx) {
    return ctx.layout().slotStart(0) + 2 * AddressLayout.PAGE;
  }

  /** The hole after slot 0. */
  public static long hole(SimContext ctx) {
    return ctx.layout().slotEnd(0);
  }

  /** A page of the TCP slot. */
  public static long tcp(SimContext ctx) {
    return ctx.layout().slotStart(5) + AddressLayout.PAGE;
  }

  /** A page of the text slot. */
  public static long text(SimContext ctx) {
    return ctx.layout().slotStart(7) + AddressLayout.PAGE;
  }

  /** The calling thread holds nothing, the mm is quiescent, and no violation was recorded. */
  public static void assertClean(SimContext ctx) {
    MmStruct mm = ctx.mm();
    assertThat(mm.mmapLock().getReadHoldCount()).isZero();
    assertThat(mm.mmapLock().isWriteLocked()).isFalse();
    mm.assertNoLocksHeld();
    mm.assertQuiescent();
    assertThat(ctx.violations().violationSamples()).isEmpty();
    assertThat(ctx.violations().violationCount()).isZero();
  }

  /**
   * A writer on another thread inside a write period: holds the mmap write lock and has
   * write-locked the VMA at {@code addr} ({@code vma_start_write}), until {@link #close()}.
   */
  public static final class WriterHold implements AutoCloseable {
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private final Thread thread;

    WriterHold(MmStruct mm, long addr) throws InterruptedException {
      thread =
          new Thread(
              () -> {
                try {
                  mm.mmapWriteLock();
                  try {
                    VmArea v = mm.vmaLookup(addr);
                    if (v != null) {
                      v.startWrite();
                    }
                    held.countDown();
                    release.await();
                  } finally {
                    mm.mmapWriteUnlock();
                  }
                } catch (Throwable t) {
                  error.set(t);
                  held.countDown();
                }
              },
              "test-writer");
      thread.setDaemon(true);
      thread.start();
      held.await();
      assertThat(error.get()).isNull();
    }

    @Override
    public void close() throws InterruptedException {
      release.countDown();
      thread.join();
      assertThat(error.get()).isNull();
    }
  }
}
