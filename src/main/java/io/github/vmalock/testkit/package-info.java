/**
 * Checks for a user's own protocol: {@link io.github.vmalock.testkit.ProtocolCheck} runs a {@link
 * io.github.vmalock.mm.VmaLockProtocol} through the contract of the per-VMA read paths and a stress
 * run against the writers, with no test framework needed at run time; {@link
 * io.github.vmalock.testkit.ProtocolModelCheck} model-checks it with Lincheck, which the caller
 * puts on the class path (the library declares it {@code provided}).
 */
package io.github.vmalock.testkit;
