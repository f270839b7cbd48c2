package io.github.vmalock.jcstress;

import io.github.vmalock.maple.MapleTree;

/** Shared setup of the maple tree harnesses: the two-leaf tree both race on. */
final class MapleHarness {

  /** The number of ranges in {@link #twoLeafTree()}: more than one leaf holds, so two leaves. */
  static final int RANGES = 24;

  private MapleHarness() {}

  /**
   * A tree of {@link #RANGES} adjacent ranges of 10 indices: range k covers {@code [10k, 10k + 9]}
   * with the letter {@code 'A' + k} ("J" is {@code [90, 99]}, "K" {@code [100, 109]}), in two
   * leaves under a root.
   */
  static MapleTree<String> twoLeafTree() {
    MapleTree<String> tree = new MapleTree<>();
    for (int k = 0; k < RANGES; k++) {
      tree.storeRange(10L * k, 10L * k + 9, String.valueOf((char) ('A' + k)));
    }
    return tree;
  }
}
