package io.github.vmalock.sim.callers;

import java.util.SplittableRandom;

/**
 * A simulated kernel code path that looks up and locks a VMA (or changes the address space), run by
 * the workload threads.
 */
public interface KernelCaller {
  /**
   * The caller's name in reports and in the {@code --mix} option.
   *
   * @return for example {@code "page-fault"}
   */
  String name();

  /**
   * Runs one call with arguments drawn from {@code rnd}. Context: the calling thread holds no lock
   * of the mm; it holds none on return (a caller that returns holding one leaks it, and the runner
   * reports that). May block where the kernel function it models may.
   *
   * @param rnd the calling thread's seeded random source (the same seed gives the same sequence)
   * @return what the call did
   */
  Outcome call(SplittableRandom rnd);

  /**
   * Retries this caller counted ({@code VM_FAULT_RETRY} for the page fault), for the report.
   *
   * @return the number of retries so far, 0 for callers that never retry
   */
  default long retries() {
    return 0;
  }
}
