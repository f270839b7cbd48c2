/**
 * Small kernel locking primitives the mm model is built from: a sequence count ({@link
 * io.github.vmalock.locking.SeqCount}, {@code include/linux/seqlock.h}), limited reference count
 * helpers ({@link io.github.vmalock.locking.Refcount}, {@code include/linux/refcount.h}), the
 * single-waiter {@link io.github.vmalock.locking.RcuWait} ({@code include/linux/rcuwait.h}), and a
 * lockdep-like per-thread {@link io.github.vmalock.locking.LockTracker} for debug mode.
 *
 * <p>Nothing here uses {@code synchronized} or monitors: waiting is {@link
 * java.util.concurrent.locks.LockSupport#park park}/{@code unpark}; shared words are accessed
 * through {@link java.lang.invoke.VarHandle}s with the access mode the kernel's primitive implies.
 */
package io.github.vmalock.locking;
