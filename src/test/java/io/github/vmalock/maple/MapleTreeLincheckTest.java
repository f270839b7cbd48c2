package io.github.vmalock.maple;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.LongGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of {@link MapleTree} under Lincheck's model checker: every interleaving of the
 * operations below (at the shared-memory accesses Lincheck instruments) must give results that some
 * sequential run of the same operations gives. The sequential specification is the tree itself run
 * on one thread, which the differential test checks against a {@code TreeMap} reference model.
 *
 * <p>The tree starts with a singleton at every even index in {@code [0, 16]} (9 entries, 8 gaps and
 * the tail gap: 18 slots, so two leaves under an internal node), so that writes split, merge and
 * rebalance leaves while readers walk across the leaf boundary; writes cover short ranges inside
 * {@code [0, 22]}.
 *
 * <p>Runs in the {@code lincheck} Surefire execution (no JaCoCo agent). Bounded for the test
 * command; {@code -Dvmalock.scale=large} runs many more scenarios.
 */
@Tag("lincheck")
@Param(name = "index", gen = LongGen.class, conf = "0:19")
@Param(name = "len", gen = LongGen.class, conf = "0:3")
@Param(name = "value", gen = IntGen.class, conf = "1:3")
public class MapleTreeLincheckTest {

  private final MapleTree<Integer> tree = new MapleTree<>();

  public MapleTreeLincheckTest() {
    for (long i = 0; i <= 16; i += 2) {
      tree.storeRange(i, i, 100 + (int) i);
    }
  }

  /** {@code mtree_store_range()}: overwrite {@code [first, first + len]}. */
  @Operation
  public void store(
      @Param(name = "index") long first,
      @Param(name = "len") long len,
      @Param(name = "value") int value) {
    tree.storeRange(first, first + len, value);
  }

  /** {@code mtree_store_range()} with a null entry: erase {@code [first, first + len]}. */
  @Operation
  public void storeNull(@Param(name = "index") long first, @Param(name = "len") long len) {
    tree.storeRange(first, first + len, null);
  }

  /** {@code mtree_insert_range()}: true when inserted, false on -EEXIST. */
  @Operation
  public boolean insert(
      @Param(name = "index") long first,
      @Param(name = "len") long len,
      @Param(name = "value") int value) {
    try {
      tree.insertRange(first, first + len, value);
      return true;
    } catch (IllegalStateException eexist) {
      return false;
    }
  }

  /** {@code mtree_erase()}. */
  @Operation
  public Integer erase(@Param(name = "index") long index) {
    return tree.erase(index);
  }

  /** {@code mtree_load()}. */
  @Operation
  public Integer load(@Param(name = "index") long index) {
    return tree.load(index);
  }

  /** {@code mas_find()} from a fresh state: the first entry at or after index, with its range. */
  @Operation
  public String find(@Param(name = "index") long index) {
    MaState<Integer> mas = tree.state(index);
    Integer e = mas.find(-1L);
    return e == null ? "null" : e + "@[" + mas.index() + "," + mas.last() + "]";
  }

  /** {@code mas_find_rev()} from a fresh state. */
  @Operation
  public String findRev(@Param(name = "index") long index) {
    MaState<Integer> mas = tree.state(index);
    Integer e = mas.findRev(0);
    return e == null ? "null" : e + "@[" + mas.index() + "," + mas.last() + "]";
  }

  /** {@code mt_validate()} after every scenario. */
  @Validate
  public void validate() {
    tree.validate();
  }

  @Test
  @DisplayName(
      "mtree_store_range / mtree_insert_range / mtree_erase / mtree_load / mas_find linearizable")
  void modelCheck() {
    new ModelCheckingOptions()
        .iterations(TestScale.pick(1, 100))
        .invocationsPerIteration(TestScale.pick(100, 5_000))
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .check(MapleTreeLincheckTest.class);
  }
}
