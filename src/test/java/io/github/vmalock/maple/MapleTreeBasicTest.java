package io.github.vmalock.maple;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Basic contract tests of {@link MapleTree}: stores, loads, splits, bad input, external lock. */
class MapleTreeBasicTest {

  @Test
  @DisplayName("empty tree: load is null everywhere, one gap [0, -1L]")
  void emptyTree() {
    MapleTree<String> t = new MapleTree<>();
    assertThat(t.load(0)).isNull();
    assertThat(t.load(-1L)).isNull();
    assertThat(t.size()).isZero();
    MaState<String> mas = t.state(12345);
    assertThat(mas.walk()).isNull();
    assertThat(mas.index()).isEqualTo(0L);
    assertThat(mas.last()).isEqualTo(-1L);
    assertThat(t.emptyArea(0, -1L, -1L)).isEqualTo(0L);
    t.validate();
  }

  @Test
  @DisplayName("storeRange splits the ranges it cuts; null erases")
  void storeSplits() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(10, 100, "a");
    t.storeRange(40, 50, "b");
    assertThat(t.load(39)).isEqualTo("a");
    assertThat(t.load(40)).isEqualTo("b");
    assertThat(t.load(50)).isEqualTo("b");
    assertThat(t.load(51)).isEqualTo("a");
    assertThat(t.load(9)).isNull();
    assertThat(t.load(101)).isNull();
    assertThat(t.size()).isEqualTo(3);
    t.storeRange(45, 45, null);
    assertThat(t.load(45)).isNull();
    assertThat(t.size()).isEqualTo(4);
    t.storeRange(0, -1L, null);
    assertThat(t.size()).isZero();
    t.validate();
  }

  @Test
  @DisplayName("ranges at 0 and at -1L (ULONG_MAX)")
  void edges() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(0, 0, "zero");
    t.storeRange(-1L, -1L, "max");
    t.storeRange(Long.MAX_VALUE, Long.MIN_VALUE, "mid");
    assertThat(t.load(0)).isEqualTo("zero");
    assertThat(t.load(1)).isNull();
    assertThat(t.load(-1L)).isEqualTo("max");
    assertThat(t.load(-2L)).isNull();
    assertThat(t.load(Long.MIN_VALUE)).isEqualTo("mid");
    assertThat(t.erase(-1L)).isEqualTo("max");
    assertThat(t.load(-1L)).isNull();
    t.validate();
  }

  @Test
  @DisplayName("many ranges build a multi-level tree that validates")
  void manyLevels() {
    MapleTree<Integer> t = new MapleTree<>();
    for (int i = 0; i < 20_000; i++) {
      t.storeRange(i * 10L, i * 10L + 5, i);
    }
    t.validate();
    assertThat(t.height()).isGreaterThanOrEqualTo(4);
    assertThat(t.size()).isEqualTo(20_000);
    for (int i = 0; i < 20_000; i++) {
      assertThat(t.load(i * 10L + 3)).isEqualTo(i);
      assertThat(t.load(i * 10L + 7)).isNull();
    }
    // One spanning store over most of the tree.
    t.storeRange(15, 199_990, -1);
    t.validate();
    assertThat(t.size()).isEqualTo(4); // 0, the cut-down 1, the new range, the cut-down 19999
    assertThat(t.load(14)).isEqualTo(1);
    assertThat(t.load(15)).isEqualTo(-1);
    assertThat(t.load(7)).isNull();
    assertThat(t.load(5)).isEqualTo(0);
    assertThat(t.load(100_000)).isEqualTo(-1);
    assertThat(t.load(199_991)).isEqualTo(19_999);
    t.storeRange(0, -1L, null);
    t.validate();
    assertThat(t.height()).isEqualTo(1);
  }

  @Test
  @DisplayName("bad input: IllegalArgumentException naming the values, tree unchanged")
  void badInput() {
    MapleTree<String> t = new MapleTree<>();
    t.storeRange(5, 9, "x");
    assertThatThrownBy(() -> t.storeRange(10, 9, "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0xa")
        .hasMessageContaining("0x9");
    assertThatThrownBy(() -> t.storeRange(-1L, 0, "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0xffffffffffffffff");
    assertThatThrownBy(() -> t.insertRange(3, 2, "y")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.insertRange(0, 5, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.insertRange(0, 5, "y"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("EEXIST");
    assertThatThrownBy(() -> t.emptyArea(0, 100, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("size is 0");
    assertThatThrownBy(() -> t.emptyArea(100, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("min > max")
        .hasMessageContaining("0x64");
    assertThatThrownBy(() -> t.emptyAreaRev(0, 3, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("smaller than size 5");
    assertThatThrownBy(() -> t.emptyArea(5, 9, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("busy");
    assertThat(t.size()).isEqualTo(1);
    assertThat(t.load(5)).isEqualTo("x");
    assertThat(t.load(4)).isNull();
    assertThat(t.load(10)).isNull();
    t.validate();
  }

  @Test
  @DisplayName("external lock (mt_set_external_lock): every write asserts it, reads do not")
  void externalLock() {
    AtomicBoolean held = new AtomicBoolean(false);
    MapleTree<String> t = new MapleTree<>(held::get);
    assertThatThrownBy(() -> t.storeRange(1, 2, "a"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("external lock");
    assertThatThrownBy(() -> t.erase(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> t.insertRange(1, 2, "a")).isInstanceOf(IllegalStateException.class);
    assertThat(t.load(1)).isNull();
    held.set(true);
    t.storeRange(1, 2, "a");
    held.set(false);
    assertThat(t.load(2)).isEqualTo("a");
    assertThatThrownBy(() -> new MapleTree<String>(null))
        .isInstanceOf(IllegalArgumentException.class);
    t.validate();
  }

  @Test
  @DisplayName("a cursor on a replaced (dead) node restarts from the root (mas_dead_node)")
  void cursorRestartsOnDeadNode() {
    MapleTree<Integer> t = new MapleTree<>();
    for (int i = 0; i < 100; i++) {
      t.storeRange(i * 10L, i * 10L + 4, i);
    }
    MaState<Integer> mas = t.state(0);
    assertThat(mas.find(-1L)).isEqualTo(0);
    assertThat(mas.next(-1L)).isEqualTo(1);
    t.storeRange(20, 24, 1000); // replaces the cursor's leaf
    assertThat(mas.next(-1L)).isEqualTo(1000);
    assertThat(mas.index()).isEqualTo(20L);
    t.erase(30);
    assertThat(mas.next(-1L)).isEqualTo(4);
    assertThat(mas.prev(0)).isEqualTo(1000);
  }

  @Test
  @DisplayName("a sequential fill packs leaves (append split), keeping the tree shallow")
  void sequentialFillIsShallow() {
    MapleTree<Integer> t = new MapleTree<>();
    for (int k = 0; k < 65536; k++) {
      t.storeRange(k * 16L, k * 16L + 9, k);
    }
    t.validate();
    // 131072 ranges (entries and gaps) in full 16-slot leaves under 10-way nodes: 5 levels.
    assertThat(t.height()).isLessThanOrEqualTo(5);
  }

  /** Every stored range, in order, as "first-last=entry" strings. */
  private static java.util.List<String> contents(MapleTree<?> t) {
    java.util.List<String> out = new java.util.ArrayList<>();
    MaState<?> mas = t.state(0);
    for (Object e = mas.find(-1L); e != null; e = mas.find(-1L)) {
      out.add(
          Long.toUnsignedString(mas.index()) + "-" + Long.toUnsignedString(mas.last()) + "=" + e);
    }
    return out;
  }

  @Test
  @DisplayName("every rejected call on a multi-level tree leaves it exactly as it was")
  void rejectedCallsLeaveTreeUnchanged() {
    AtomicBoolean held = new AtomicBoolean(true);
    MapleTree<String> t = new MapleTree<>(held::get);
    for (int i = 0; i < 3000; i++) {
      t.storeRange(i * 7L, i * 7L + 3, "e" + i);
    }
    t.storeRange(-5L, -1L, "top");
    java.util.List<String> before = contents(t);
    int sizeBefore = t.size();
    assertThatThrownBy(() -> t.storeRange(100, 99, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first=0x64")
        .hasMessageContaining("last=0x63");
    assertThatThrownBy(() -> t.insertRange(10, 12, "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("EEXIST")
        .hasMessageContaining("0xa")
        .hasMessageContaining("[0x7, 0xa]"); // the occupied range it overlaps
    assertThatThrownBy(() -> t.insertRange(-6L, -1L, "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("0xfffffffffffffffb");
    assertThatThrownBy(() -> t.insertRange(-1L, -2L, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> t.emptyArea(0, 20_000, 100))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("busy")
        .hasMessageContaining("100");
    assertThatThrownBy(() -> t.emptyAreaRev(7, 6, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("min=0x7")
        .hasMessageContaining("max=0x6");
    MaState<String> mas = t.state(0);
    assertThatThrownBy(() -> mas.setRange(9, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("first=0x9");
    held.set(false);
    assertThatThrownBy(() -> t.storeRange(0, -1L, null)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> t.erase(0)).isInstanceOf(IllegalStateException.class);
    mas.setRange(0, 3);
    assertThatThrownBy(() -> mas.store(null)).isInstanceOf(IllegalStateException.class);
    assertThat(contents(t)).isEqualTo(before);
    assertThat(t.size()).isEqualTo(sizeBefore);
    t.validate();
    assertThat(t.emptyArea(4, 100, 3)).isEqualTo(4L); // reads need no lock
  }

  @Test
  @DisplayName(
      "a write marks exactly the nodes it replaced dead (mte_set_node_dead), reuses the rest")
  void writeMarksReplacedNodesDead() {
    MapleTree<Integer> t = new MapleTree<>();
    for (int i = 0; i < 2000; i++) {
      t.storeRange(i * 10L, i * 10L + 4, i);
    }
    MapleTree.Node oldRoot = t.rootAcquire();
    assertThat(oldRoot.leaf).isFalse();
    MapleTree.Node firstChild = (MapleTree.Node) oldRoot.slots[0];
    MapleTree.Node lastChild = (MapleTree.Node) oldRoot.slots[oldRoot.end];
    // A store inside the last child: the root and that child's path die, the first child lives on.
    t.storeRange(19_990, 19_990, -1);
    assertThat(MapleTree.isDead(oldRoot)).isTrue();
    assertThat(MapleTree.isDead(lastChild)).isTrue();
    assertThat(MapleTree.isDead(firstChild)).isFalse();
    assertThat(t.rootAcquire().slots[0]).isSameAs(firstChild);
    // A store spanning everything drops every subtree: all of them are marked dead.
    MapleTree.Node root2 = t.rootAcquire();
    java.util.List<MapleTree.Node> all = new java.util.ArrayList<>();
    java.util.ArrayDeque<MapleTree.Node> todo =
        new java.util.ArrayDeque<>(java.util.List.of(root2));
    while (!todo.isEmpty()) {
      MapleTree.Node n = todo.pop();
      all.add(n);
      if (!n.leaf) {
        for (int i = 0; i <= n.end; i++) {
          todo.push((MapleTree.Node) n.slots[i]);
        }
      }
    }
    t.storeRange(0, -1L, null);
    assertThat(all).allMatch(MapleTree::isDead);
    assertThat(MapleTree.isDead(t.rootAcquire())).isFalse();
    t.validate();
  }
}
