/**
 * An RCU-safe, maple-tree-like range index ({@code lib/maple_tree.c}): {@link
 * io.github.vmalock.maple.MapleTree}, a copy-on-write B-tree over inclusive unsigned ranges with
 * lock-free readers, one writer at a time and gap tracking for free-range searches, and its cursor
 * {@link io.github.vmalock.maple.MaState}.
 */
package io.github.vmalock.maple;
