package io.github.vmalock.modelcheck;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.ProtocolVariant;
import java.util.List;
import org.jetbrains.lincheck.Lincheck;

/**
 * Pays Lincheck's bytecode instrumentation before the measured model-checking runs.
 *
 * <p>Lincheck 3.7 instruments a class lazily, the first time code under analysis reaches it, inside
 * the invocation that reaches it; the analysis of each class (control-flow graphs, loop dominators)
 * is cached for the rest of the JVM. Each invocation has a fixed wall-clock budget of 30 s ({@code
 * CTestConfiguration.DEFAULT_TIMEOUT_MS}, not settable through {@link Lincheck#runConcurrentTest});
 * past it Lincheck stops the test threads and reports "Concurrent test has hung" (a {@code
 * TimeoutFailure}, without an interleaving). On this project's shared 2-CPU machine under load,
 * instrumenting the rcu, maple and mm classes plus the JDK classes they use took about 25 s of
 * wall-clock time (about 2.4 s of CPU) inside the first invocation of a scenario, which then
 * exceeded the budget: the thread dumps taken at the timeout showed the test thread still in {@code
 * LincheckClassFileTransformer} or in the scenario's set-up, never in a protocol loop.
 *
 * <p>So the classes are instrumented here in small steps, each its own one-invocation run well
 * inside the budget. A step that still runs out of time fails the caller with the reason: if it had
 * been stopped in the middle of a class's transformation, Lincheck would go on without
 * instrumenting that class, and the later runs would explore fewer interleavings than they claim.
 */
final class LincheckWarmUp {
  private LincheckWarmUp() {}

  private static volatile boolean done;

  /** Runs the warm-up steps once per JVM. */
  static void instrumentProtocolClasses() {
    if (done) {
      return;
    }
    List<Runnable> steps =
        List.of(
            () -> {
              Rcu rcu = Rcu.builder().reclaimerThread(false).build();
              rcu.readLock();
              rcu.readUnlock();
            },
            () -> new VmAreaCache(),
            () -> mm().mmap(0x100000L, MmStruct.PAGE_SIZE, VmFlags.VM_READ),
            () -> {
              MmStruct mm = mm();
              mm.mmap(0x100000L, 2 * MmStruct.PAGE_SIZE, VmFlags.VM_READ);
              VmArea v = mm.lockVmaUnderRcu(0x100000L);
              if (v != null) {
                v.endRead();
              }
              VmArea u = mm.vmaStartReadUnlocked(0x101000L);
              if (u != null) {
                u.endRead();
              }
            },
            () -> {
              MmStruct mm = mm();
              mm.mmap(0x100000L, 2 * MmStruct.PAGE_SIZE, VmFlags.VM_READ);
              mm.mprotect(0x100000L, MmStruct.PAGE_SIZE, VmFlags.VM_READ | VmFlags.VM_WRITE);
              mm.munmap(0x100000L, 2 * MmStruct.PAGE_SIZE);
              mm.mmap(0x200000L, MmStruct.PAGE_SIZE, VmFlags.VM_READ);
            },
            () ->
                ProtocolVariantModelCheckTest.runOnce(
                    ProtocolVariantModelCheckTest::readerVsUnmapRecycleElsewhere,
                    ProtocolVariant.FAITHFUL));
    for (int i = 0; i < steps.size(); i++) {
      Runnable step = steps.get(i);
      try {
        Lincheck.runConcurrentTest(1, step);
      } catch (AssertionError e) {
        throw new AssertionError(
            "Lincheck warm-up step "
                + (i + 1)
                + " of "
                + steps.size()
                + " failed (a timeout here means the machine is too loaded for Lincheck's 30 s"
                + " invocation budget): "
                + e.getMessage(),
            e);
      }
    }
    done = true;
  }

  private static MmStruct mm() {
    return MmStruct.builder()
        .rcu(Rcu.builder().reclaimerThread(false).build())
        .cache(new VmAreaCache())
        .build();
  }
}
