/**
 * An epoch-based emulation of the Linux kernel's RCU ({@code kernel/rcu/}, {@code
 * include/linux/rcupdate.h}): read-side critical sections, grace periods ({@code
 * synchronize_rcu()}), deferred callbacks ({@code call_rcu()}, {@code rcu_barrier()}) and the
 * polled grace-period API ({@code get_state_synchronize_rcu()}, {@code
 * poll_state_synchronize_rcu()}).
 *
 * <p>Java's garbage collector already keeps a reader's objects alive, so what this package models
 * is the grace-period guarantee itself: an updater that has unpublished an object and then waited
 * for a grace period knows no reader still holds it. See {@link io.github.vmalock.rcu.Rcu}.
 */
package io.github.vmalock.rcu;
