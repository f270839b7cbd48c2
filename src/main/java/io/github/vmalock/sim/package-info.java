/**
 * The simulator: kernel callers of the per-VMA locks, workloads that run them against an {@link
 * io.github.vmalock.mm.MmStruct} before and after the series "mm: Unconditional per-VMA locks and
 * cleanups", and the replay of the series' v2 defects.
 *
 * <p>Each caller is named after the kernel function it models and follows it step for step: {@link
 * io.github.vmalock.sim.PageFault} ({@code do_user_addr_fault}), {@link
 * io.github.vmalock.sim.BinderShrinker} ({@code binder_alloc_free_page}), {@link
 * io.github.vmalock.sim.BinderInstallPage} ({@code binder_page_insert}), {@link
 * io.github.vmalock.sim.TcpZerocopyReceive} ({@code find_tcp_vma}), {@link
 * io.github.vmalock.sim.BpfStackMapBuildId} ({@code stack_map_lock_vma}), {@link
 * io.github.vmalock.sim.ProcMapsReader} ({@code lock_next_vma} loop) and {@link
 * io.github.vmalock.sim.AddressSpaceWriter} ({@code mmap}/{@code munmap}/{@code mprotect}). Callers
 * whose code the series changes take a {@link io.github.vmalock.sim.SeriesShape}.
 *
 * <p>The runner and the experiments need nothing beyond the JDK: latencies go into the simulator's
 * own {@link io.github.vmalock.sim.LatencyHistogram}. Only the command line ({@code
 * io.github.vmalock.sim.cli}: picocli, JFreeChart for {@code --chart}) uses the library's optional
 * dependencies, which are on the class path of the shaded CLI jar ({@code
 * vmalock-sim-VERSION-cli.jar}).
 */
package io.github.vmalock.sim;
