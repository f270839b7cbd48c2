package io.github.vmalock.maple;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Focused tests that pin behaviour the mutation run (docs/mutation-testing.md) found unchecked by
 * the other maple tests: the edges of the gap searches, the gap sizes kept in internal nodes, the
 * writer lock being released, and cursor calls from the start state.
 */
class MapleTreeMutationTest {

  /** [0, 9] = a, [10, 10] free, [11, 20] = b, free from 21 on. */
  private static MapleTree<String> oneHole() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(0, 9, "a");
    t.storeRange(11, 20, "b");
    return t;
  }

  @Test
  @DisplayName("emptyArea finds a one-index gap that ends exactly at min or starts exactly at max")
  void emptyAreaEdges() {
    MapleTree<String> t = oneHole();
    assertThat(t.emptyArea(10, 100, 1)).isEqualTo(10L); // the gap [10, 10] ends at min
    assertThat(t.emptyArea(5, 10, 1)).isEqualTo(10L); // the gap starts at max
    assertThat(t.emptyArea(20, 30, 1)).isEqualTo(21L); // the free tail starts at min + 1
    assertThat(t.emptyArea(10, 10, 1)).isEqualTo(10L); // a window exactly the wanted size
    assertThat(t.emptyArea(21, 22, 2)).isEqualTo(21L);
  }

  @Test
  @DisplayName("emptyAreaRev finds a one-index gap that starts exactly at max or ends at min")
  void emptyAreaRevEdges() {
    MapleTree<String> t = oneHole();
    assertThat(t.emptyAreaRev(0, 10, 1)).isEqualTo(10L); // the gap [10, 10] starts at max
    assertThat(t.emptyAreaRev(10, 15, 1)).isEqualTo(10L); // the gap ends at min
    assertThat(t.emptyAreaRev(0, 21, 1)).isEqualTo(21L); // the free tail starts at max
  }

  @Test
  @DisplayName("a hole of exactly the wanted size deep in a multi-level tree is found both ways")
  void exactHoleInDeepTree() {
    MapleTree<Integer> t = new MapleTree<>();
    for (int i = 0; i < 2_000; i++) {
      t.storeRange(i, i, i);
    }
    assertThat(t.toString()).doesNotContain("height=1}");
    t.storeRange(700, 702, null); // a hole of 3, inside one leaf of a tree of several levels
    t.validate();
    assertThat(t.emptyArea(0, 5_000, 3)).isEqualTo(700L);
    assertThat(t.emptyAreaRev(0, 1_999, 3)).isEqualTo(700L);
    assertThat(t.emptyArea(0, 5_000, 4)).isEqualTo(2_000L);
  }

  @Test
  @DisplayName(
      "storeRange, insertRange and erase release the writer lock: another thread can write next")
  void writerLockReleased() throws Exception {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(0, 9, "a");
    t.insertRange(20, 29, "b");
    t.insertRange(30, 39, "x");
    assertThat(t.erase(35)).isEqualTo("x");
    CompletableFuture<Void> other =
        CompletableFuture.runAsync(
            () -> {
              t.storeRange(40, 49, "c");
              t.insertRange(60, 69, "d");
            });
    other.get(30, TimeUnit.SECONDS);
    t.storeRange(80, 89, "e"); // and the first thread again
    assertThat(t.size()).isEqualTo(5);
    assertThat(t.load(65)).isEqualTo("d");
    assertThat(t.load(35)).isNull();
  }

  @Test
  @DisplayName("MaState.next from the start state skips the entry at index; findRev includes it")
  void cursorFromStart() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(10, 19, "a");
    t.storeRange(30, 39, "b");
    MaState<String> mas = t.state(12);
    assertThat(mas.next(100)).isEqualTo("b");
    assertThat(mas.index()).isEqualTo(30L);
    assertThat(mas.next(100)).isNull();

    MaState<String> rev = t.state(35);
    assertThat(rev.findRev(0)).isEqualTo("b");
    assertThat(rev.findRev(0)).isEqualTo("a");
    assertThat(rev.index()).isEqualTo(10L);
    assertThat(rev.findRev(0)).isNull();
    assertThat(rev.findRev(0)).isNull(); // after an underflow, still nothing
  }

  @Test
  @DisplayName("MaState.findRev after an underflow at or below min returns null")
  void findRevAfterUnderflow() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(10, 19, "a");
    t.storeRange(30, 39, "b");
    MaState<String> mas = t.state(35);
    assertThat(mas.prev(25)).isNull(); // underflow: the range before b ends below 25
    assertThat(mas.findRev(35)).isNull();
    assertThat(mas.findRev(0)).isEqualTo("a");
  }

  @Test
  @DisplayName("setRange accepts a one-index range; toString names the size, height and range")
  void setRangeAndToString() {
    MapleTree<String> t = new MapleTree<>();
    MaState<String> mas = t.state(0);
    mas.setRange(5, 5);
    mas.store("x");
    assertThat(t.load(5)).isEqualTo("x");
    assertThat(t.load(4)).isNull();
    assertThat(t.load(6)).isNull();
    assertThat(t.toString()).isEqualTo("MapleTree{size=1, height=1}");
    assertThat(mas.toString()).startsWith("MaState{").contains("0x5");
  }
}
