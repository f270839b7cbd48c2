package io.github.vmalock.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.vmalock.maple.MapleTree;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * A lock-free {@code load(i)} racing a spanning {@code storeRange} that replaces the range around
 * {@code i} together with its neighbours in another leaf. The tree holds 24 adjacent ranges of 10
 * indices (two leaves under a root); the writer stores "span" over {@code [95, 184]}, which cuts
 * "J" {@code [90, 99]} and "S" {@code [180, 189]}, drops every range between and rebuilds both
 * leaves and the root (the kernel's spanning store). The reader loads 150 (inside the replaced
 * span, "P" before) and 92 (the surviving head of "J", covered before and after).
 */
@JCStressTest
@Description(
    "mtree_load() vs a spanning mtree_store_range() in RCU mode (mas_wr_spanning_store() in"
        + " lib/maple_tree.c): the replaced subtree is published with one rcu_assign_pointer, so"
        + " a reader sees the old entry or the new one at 150, and the untouched head of the cut"
        + " range at 92, never null or an entry that never covered the index.")
@Outcome(
    id = "P, J, span",
    expect = ACCEPTABLE,
    desc = "the load of 150 ran before the publication")
@Outcome(
    id = "span, J, span",
    expect = ACCEPTABLE,
    desc = "the load of 150 ran after the publication")
@Outcome(
    expect = FORBIDDEN,
    desc =
        "an entry that never covered the index, null where it was covered before and after, or"
            + " a lost store")
@State
public class MapleTreeLoadVsSpanningStore {

  /** The two-leaf tree: range k covers [10k, 10k + 9] with the letter 'A' + k. */
  private final MapleTree<String> tree = MapleHarness.twoLeafTree();

  /** The writer: one store spanning both leaves. */
  @Actor
  public void writer() {
    tree.storeRange(95, 184, "span");
  }

  /** The lock-free reader: inside the replaced span, and in the surviving head of "J". */
  @Actor
  public void reader(LLL_Result r) {
    r.r1 = tree.load(150);
    r.r2 = tree.load(92);
  }

  /** After both: the store is there and the cut ranges survive; the tree is valid. */
  @Arbiter
  public void arbiter(LLL_Result r) {
    tree.validate();
    boolean edgesIntact =
        "J".equals(tree.load(94)) && "span".equals(tree.load(95)) && "S".equals(tree.load(185));
    r.r3 = edgesIntact ? tree.load(184) : "torn";
  }
}
