/**
 * Checks for a user's own protocol: {@link io.github.vmalock.testkit.ProtocolCheck} runs a {@link
 * io.github.vmalock.mm.VmaLockProtocol} through the contract of the per-VMA read paths and a stress
 * run against the writers, with no test framework needed at run time.
 */
package io.github.vmalock.testkit;
