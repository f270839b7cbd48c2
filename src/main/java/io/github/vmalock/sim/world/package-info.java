/**
 * The simulated world the callers run in: {@link io.github.vmalock.sim.world.World} (the series'
 * shape, {@link io.github.vmalock.sim.world.SeriesShape}, and the mm's lock mode), the address
 * layout of slots an mm is populated with ({@link io.github.vmalock.sim.world.AddressLayout}) and
 * the page table over it ({@link io.github.vmalock.sim.world.PageTable}). The package depends on no
 * other simulator package ({@code ArchitectureTest}).
 */
package io.github.vmalock.sim.world;
