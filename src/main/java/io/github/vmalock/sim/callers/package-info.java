/**
 * The simulator's kernel callers, each named after the kernel function it models and following it
 * step for step: {@link io.github.vmalock.sim.callers.PageFault} ({@code do_user_addr_fault}),
 * {@link io.github.vmalock.sim.callers.BinderShrinker} ({@code binder_alloc_free_page}), {@link
 * io.github.vmalock.sim.callers.BinderInstallPage} ({@code binder_page_insert}), {@link
 * io.github.vmalock.sim.callers.TcpZerocopyReceive} ({@code find_tcp_vma}), {@link
 * io.github.vmalock.sim.callers.BpfStackMapBuildId} ({@code stack_map_lock_vma}), {@link
 * io.github.vmalock.sim.callers.ProcMapsReader} ({@code lock_next_vma} loop), {@link
 * io.github.vmalock.sim.callers.ProcmapQuery} ({@code do_procmap_query}), {@link
 * io.github.vmalock.sim.callers.MadviseDontneed} ({@code madvise_do_behavior}) and {@link
 * io.github.vmalock.sim.callers.AddressSpaceWriter} ({@code mmap}/{@code munmap}/{@code
 * mprotect}/{@code mremap}/{@code fork}).
 *
 * <p>What a caller is and what it gets: {@link io.github.vmalock.sim.callers.KernelCaller} (one
 * call, its {@link io.github.vmalock.sim.callers.Outcome}), {@link
 * io.github.vmalock.sim.callers.SimContext} (the mm, the world, the layout, the page table, the
 * {@link io.github.vmalock.sim.callers.Violations} record and the {@link
 * io.github.vmalock.sim.callers.CostModel} of what a caller spends while it holds its lock), and
 * {@link io.github.vmalock.sim.callers.CallerKind}, the names of the {@code --mix} option and the
 * factory of each caller. The package depends on {@link io.github.vmalock.sim.world} and the model
 * ({@code mm}) only: not on the runner ({@link io.github.vmalock.sim}), the report, the experiments
 * or the CLI ({@code ArchitectureTest}).
 */
package io.github.vmalock.sim.callers;
