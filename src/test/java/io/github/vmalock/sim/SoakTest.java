package io.github.vmalock.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.Outcome;
import io.github.vmalock.sim.report.CallerResult;
import io.github.vmalock.sim.report.Report;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The soak: the simulator's own runner ({@link Simulator}) on the {@link Scenario#MIXED} workload
 * (every correct kernel caller, all three writers, a tenth of the faults needing {@code mmap_lock},
 * and a neighbour mm sharing the VMA cache so that freed VMAs are recycled across mms) with debug
 * mode (the lockdep-like tracking) on, in each world, so in both lock modes: {@code SERIES} and
 * {@code PER_VMA_BEFORE} ({@link LockMode#PER_VMA}) and {@code NO_PER_VMA_LOCKS} ({@link
 * LockMode#MMAP_LOCK_ONLY}).
 *
 * <p>The runner checks every call's result and that a thread holds nothing after each call, and at
 * the end that the mm is quiescent with every VMA's count back to 1. Through the runner's
 * end-of-run hook this test then checks both mms from outside: {@code mapCount()} equals a recount
 * of the tree, the VMAs are ordered and do not overlap, every VMA's {@code refcnt()} is 1 ({@link
 * LockMode#PER_VMA}; 0 in {@link LockMode#MMAP_LOCK_ONLY}, which never uses the per-VMA count), no
 * lock is held ({@code assertQuiescent()}). Zero violations and zero leaked references are
 * required. The operation counts are printed as the simulator's table.
 *
 * <p>Length per world: {@code -Dvmalock.soak.seconds=N} (default 2; the documented long run uses
 * 60).
 */
class SoakTest {

  static long seconds() {
    return Long.getLong("vmalock.soak.seconds", 2L);
  }

  static List<World> worlds() {
    return World.all();
  }

  /** What the end-of-run hook found, for the assertions on the test thread. */
  static final class EndCheck implements Simulator.EndOfRunHook {
    final List<String> problems = new ArrayList<>();
    int recounted = -1;
    int neighbourRecounted = -1;
    boolean called;

    @Override
    public void atEnd(MmStruct mm, MmStruct neighbour) {
      called = true;
      recounted = check("mm", mm);
      if (neighbour != null) {
        neighbourRecounted = check("neighbour mm", neighbour);
      }
    }

    private int check(String which, MmStruct mm) {
      try {
        mm.assertQuiescent();
      } catch (IllegalStateException e) {
        problems.add(which + ": not quiescent: " + e.getMessage());
      }
      int expectedRef = mm.lockMode() == LockMode.PER_VMA ? 1 : 0;
      List<VmArea> vmas = AddressLayout.vmas(mm);
      long prevEnd = Long.MIN_VALUE;
      for (VmArea v : vmas) {
        if (v.start() < prevEnd) {
          problems.add(which + ": VMAs out of order or overlapping at " + v);
        }
        prevEnd = v.end();
        if (v.refcnt() != expectedRef) {
          problems.add(
              which + ": vm_refcnt " + v.refcnt() + " (expected " + expectedRef + ") on " + v);
        }
        if (v.mm() != mm) {
          problems.add(which + ": a VMA of another mm in the tree: " + v);
        }
        if (mm.lockMode() == LockMode.PER_VMA && !v.isAttached()) {
          problems.add(which + ": a detached VMA in the tree: " + v);
        }
      }
      if (mm.mapCount() != vmas.size()) {
        problems.add(
            which + ": mapCount() " + mm.mapCount() + " but the tree holds " + vmas.size());
      }
      return vmas.size();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("worlds")
  @DisplayName("soak: the mixed workload in debug mode, zero violations, leaks and miscounts")
  void soak(World world) {
    long seconds = seconds();
    Workload workload =
        Scenario.MIXED
            .applyTo(Workload.builder())
            .world(world)
            .threads(2)
            .writers(2)
            .duration(Duration.ofSeconds(seconds))
            .vmas(64)
            .seed(0x5eed_50a4L)
            .debug(true)
            .build();
    EndCheck end = new EndCheck();
    RunResult r = Simulator.run(workload, null, end);

    System.out.println(
        "soak "
            + world.label()
            + " ("
            + world.lockMode()
            + "), "
            + seconds
            + " s, debug on: "
            + totalOps(r)
            + " operations, violations "
            + r.violations()
            + ", leaks "
            + r.leaks()
            + ", mapCount "
            + r.mapCount()
            + " = recount "
            + end.recounted
            + ", neighbour recount "
            + end.neighbourRecounted
            + "\n"
            + Report.table(List.of(r)));

    assertThat(r.violationSamples()).as("invariant violations").isEmpty();
    assertThat(r.leakSamples()).as("leaked locks or references").isEmpty();
    assertThat(r.violations()).isZero();
    assertThat(r.leaks()).isZero();
    assertThat(end.called).as("end-of-run hook called (no thread stuck)").isTrue();
    assertThat(end.problems).as("end-of-run checks").isEmpty();
    assertThat(r.mapCount()).isEqualTo(end.recounted);
    assertThat(end.neighbourRecounted).as("the neighbour mm was recounted").isPositive();
    for (CallerKind k : workload.mix().keySet()) {
      CallerResult c = r.caller(k);
      assertThat(c.ops()).as("%s ran", k.label()).isPositive();
      assertThat(c.count(Outcome.ERROR)).as("%s errors", k.label()).isZero();
    }
  }

  private static long totalOps(RunResult r) {
    long n = 0;
    for (CallerResult c : r.callers()) {
      n += c.ops();
    }
    return n;
  }
}
