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
 * A lock-free {@code load(i)} racing a {@code storeRange} that splits the range around {@code i}.
 * The tree holds 24 adjacent ranges of 10 indices (two leaves under a root); range "K" is {@code
 * [100, 109]}. The writer stores "new" over {@code [104, 106]}, which cuts "K" into three pieces
 * and publishes a new leaf and a new root with one release store. The reader loads index 105 twice.
 */
@JCStressTest
@Description(
    "mtree_load() vs mtree_store_range() in RCU mode (lib/maple_tree.c): a reader under"
        + " rcu_read_lock() sees either the old or the new version of each node, never a torn"
        + " node; the store that splits the range around the index is one publication"
        + " (rcu_assign_pointer), and a later load never sees an older version.")
@Outcome(id = "K, K, new", expect = ACCEPTABLE, desc = "both loads before the store was published")
@Outcome(
    id = "K, new, new",
    expect = ACCEPTABLE,
    desc = "the store was published between the loads")
@Outcome(
    id = "new, new, new",
    expect = ACCEPTABLE,
    desc = "both loads after the store was published")
@Outcome(
    expect = FORBIDDEN,
    desc =
        "an entry that never covered 105, null where 105 was covered before and after, the new"
            + " entry then the old one (a version going back), or a lost store")
@State
public class MapleTreeLoadVsStoreRange {

  /** The two-leaf tree: range k covers [10k, 10k + 9] with the letter 'A' + k. */
  private final MapleTree<String> tree = MapleHarness.twoLeafTree();

  /** The writer: splits "K" [100, 109] around 105. */
  @Actor
  public void writer() {
    tree.storeRange(104, 106, "new");
  }

  /** The lock-free reader: two loads of the index inside the split range. */
  @Actor
  public void reader(LLL_Result r) {
    r.r1 = tree.load(105);
    r.r2 = tree.load(105);
  }

  /** After both: the store is there, the pieces of "K" around it survive, the tree is valid. */
  @Arbiter
  public void arbiter(LLL_Result r) {
    tree.validate();
    boolean piecesIntact =
        "K".equals(tree.load(103)) && "K".equals(tree.load(107)) && "new".equals(tree.load(104));
    r.r3 = piecesIntact ? tree.load(105) : "torn";
  }
}
