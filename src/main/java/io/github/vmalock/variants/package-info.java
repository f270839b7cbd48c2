/**
 * The known-bad protocols the harnesses and tests must catch, written against the seams {@link
 * io.github.vmalock.mm.VmaLockProtocol} and {@link io.github.vmalock.rcu.RcuProtocol}: {@link
 * io.github.vmalock.variants.ProtocolVariant} and {@link io.github.vmalock.variants.RcuVariant}.
 * Nothing in {@code mm}, {@code rcu}, {@code maple} or {@code locking} depends on this package.
 */
package io.github.vmalock.variants;
