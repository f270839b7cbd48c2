package io.github.vmalock.sim.callers;

import static io.github.vmalock.sim.callers.SimTestSupport.anon;
import static io.github.vmalock.sim.callers.SimTestSupport.assertClean;
import static io.github.vmalock.sim.callers.SimTestSupport.ctx;
import static io.github.vmalock.sim.callers.SimTestSupport.hole;
import static io.github.vmalock.sim.callers.SimTestSupport.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.Scenario;
import io.github.vmalock.sim.Simulator;
import io.github.vmalock.sim.Workload;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The callers that are readers of the address space but not of the series: {@code
 * madvise(MADV_DONTNEED)}, {@code /proc/pid/smaps} and {@code PROCMAP_QUERY}. Invariants cited: see
 * docs/invariants.md#f11.
 */
@DisplayName("madvise(MADV_DONTNEED), /proc/pid/smaps, PROCMAP_QUERY as simulator callers")
class NewCallersTest {
  private static final long PAGE = AddressLayout.PAGE;

  @Test
  @DisplayName("MADV_DONTNEED inside one VMA zaps under its read lock; mmap_lock without per-VMA")
  void dontneedOneVma() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      long a = anon(ctx);
      ctx.pages().set(a);
      ctx.pages().set(a + PAGE);
      ctx.pages().set(a + 3 * PAGE);
      Outcome o = new MadviseDontneed(ctx).dontneed(a, 2 * PAGE);
      assertThat(o)
          .as(w.label())
          .isEqualTo(w.lockMode() == LockMode.PER_VMA ? Outcome.VMA_LOCKED : Outcome.MMAP_LOCKED);
      assertThat(ctx.pages().present(a)).isFalse();
      assertThat(ctx.pages().present(a + PAGE)).isFalse();
      assertThat(ctx.pages().present(a + 3 * PAGE)).as("outside the range").isTrue();
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("a range over two VMAs falls back to mmap_lock and zaps both parts")
  void dontneedTwoVmas() {
    SimContext ctx = ctx(World.SERIES);
    long a = anon(ctx);
    ctx.mm().mprotect(a + PAGE, PAGE, VmFlags.VM_READ); // splits: [.., a+P) [a+P, a+2P) [a+2P, ..)
    ctx.pages().set(a);
    ctx.pages().set(a + PAGE);
    ctx.pages().set(a + 2 * PAGE);
    assertThat(new MadviseDontneed(ctx).dontneed(a, 3 * PAGE)).isEqualTo(Outcome.MMAP_LOCKED);
    assertThat(ctx.pages().presentCount()).isZero();
    assertClean(ctx);
  }

  @Test
  @DisplayName("nothing mapped: -ENOMEM (NO_VMA); a bad range names the problem, takes nothing")
  void dontneedHoleAndBadInput() {
    SimContext ctx = ctx(World.SERIES);
    MadviseDontneed m = new MadviseDontneed(ctx);
    assertThat(m.dontneed(hole(ctx), PAGE)).isEqualTo(Outcome.NO_VMA);
    assertThatThrownBy(() -> m.dontneed(anon(ctx) + 1, PAGE)).hasMessageContaining("page-aligned");
    assertThatThrownBy(() -> m.dontneed(anon(ctx), 0)).hasMessageContaining("non-empty");
    assertClean(ctx);
  }

  @Test
  @DisplayName("smaps: mmap_lock in every world, whole, and its page walk counts present pages")
  void smaps() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      long a = anon(ctx);
      for (int i = 0; i < 5; i++) {
        ctx.pages().set(a + i * PAGE);
      }
      ProcMapsReader r = new ProcMapsReader(ctx, ProcMapsReader.ProcFile.SMAPS);
      assertThat(r.name()).isEqualTo("proc-smaps");
      assertThat(r.readMaps()).as(w.label()).isEqualTo(ctx.mm().mapCount());
      assertThat(r.residentPagesSeen()).isEqualTo(5);
      assertThat(r.call(new java.util.SplittableRandom(1))).isEqualTo(Outcome.MMAP_LOCKED);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("smaps reports a text VMA cut in two (F11), as maps does")
  void smapsF11() {
    SimContext ctx = ctx(World.SERIES);
    ctx.mm().munmap(ctx.layout().slotStart(7) + 4 * PAGE, PAGE);
    new ProcMapsReader(ctx, ProcMapsReader.ProcFile.SMAPS).readMaps();
    assertThat(ctx.violations().violationSamples()).anyMatch(v -> v.contains("F11"));
  }

  @Test
  @DisplayName("PROCMAP_QUERY: covering VMA, -ENOENT in a hole, the next VMA when asked")
  void procmapQuery() {
    for (World w : World.all()) {
      SimContext ctx = ctx(w);
      ProcmapQuery q = new ProcmapQuery(ctx);
      Outcome held = w.lockMode() == LockMode.PER_VMA ? Outcome.VMA_LOCKED : Outcome.MMAP_LOCKED;
      assertThat(q.query(text(ctx), false)).as(w.label()).isEqualTo(held);
      assertThat(q.query(hole(ctx), false)).isEqualTo(Outcome.NO_VMA);
      assertThat(q.query(hole(ctx), true)).isEqualTo(held);
      assertThat(q.query(ctx.layout().limit(), true))
          .as("past the last VMA")
          .isEqualTo(Outcome.NO_VMA);
      assertClean(ctx);
    }
  }

  @Test
  @DisplayName("PROCMAP_QUERY reports a text VMA that is not whole (F11)")
  void procmapQueryF11() {
    SimContext ctx = ctx(World.SERIES);
    ctx.mm().munmap(ctx.layout().slotStart(7) + 4 * PAGE, PAGE);
    new ProcmapQuery(ctx).query(text(ctx), false);
    assertThat(ctx.violations().violationSamples()).anyMatch(v -> v.contains("F11"));
  }

  @Test
  @DisplayName("all three in a run against mmap/munmap/mprotect writers: no violation, no leak")
  void inARun() {
    for (World w : World.all()) {
      RunResult r =
          Simulator.run(
              Workload.builder()
                  .world(w)
                  .mix(
                      Scenario.parseMix(
                          "page-fault=4,madvise-dontneed=2,proc-smaps=1,procmap-query=2,"
                              + "mmap=1,munmap=1,mprotect=1,mremap=2,fork=1"))
                  .threads(2)
                  .writers(1)
                  .opsPerThread(3_000)
                  .debug(true)
                  .build());
      assertThat(r.clean())
          .as("%s: %s %s", w.label(), r.violationSamples(), r.leakSamples())
          .isTrue();
      for (CallerKind k :
          new CallerKind[] {
            CallerKind.MADVISE_DONTNEED,
            CallerKind.PROC_SMAPS,
            CallerKind.PROCMAP_QUERY,
            CallerKind.MREMAP,
            CallerKind.FORK
          }) {
        assertThat(r.caller(k).ops()).as("%s %s", w.label(), k).isPositive();
      }
    }
  }

  @Test
  @DisplayName("the mremap writer moves pages inside the slot, their present bits with them")
  void mremapWriter() {
    SimContext ctx = ctx(World.SERIES);
    for (long a = ctx.layout().slotStart(0); a < ctx.layout().slotEnd(0); a += PAGE) {
      ctx.pages().set(a);
    }
    AddressSpaceWriter w = new AddressSpaceWriter(ctx, AddressSpaceWriter.Op.MREMAP);
    assertThat(w.name()).isEqualTo("mremap");
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    int done = 0;
    for (int i = 0; i < 200; i++) {
      if (w.call(rnd) == Outcome.WRITE_DONE) {
        done++;
      }
    }
    assertThat(done).isPositive();
    // Moves inside the slots neither add nor lose VMAs' pages: every mapped anonymous page of
    // slot 0 that was present is still present or was moved onto a page that is.
    long mapped = 0;
    long present = 0;
    ctx.mm().mmapReadLock();
    try {
      for (long a = ctx.layout().slotStart(0); a < ctx.layout().slotEnd(0); a += PAGE) {
        if (ctx.mm().vmaLookup(a) != null) {
          mapped++;
        }
        if (ctx.pages().present(a)) {
          present++;
          assertThat(ctx.mm().vmaLookup(a)).as("present page 0x%x is mapped", a).isNotNull();
        }
      }
    } finally {
      ctx.mm().mmapReadUnlock();
    }
    assertThat(present).isLessThanOrEqualTo(mapped);
    assertClean(ctx);
  }
}
