package io.github.vmalock.maple;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Seeded randomized differential test of {@link MapleTree} against {@link RangeModel} (a {@link
 * java.util.TreeMap} of ranges). In the default {@code small} scale it runs 200,000 mixed
 * operations (about ten seconds); with {@code -Dvmalock.scale=large} it runs 2,000,000. The seed is
 * fixed ({@code -Dvmalock.seed} overrides it) and printed on any failure, with the operation
 * number.
 */
class MapleTreeDifferentialTest {

  private static final long DEFAULT_SEED = 0x5eed_2026_1125L;

  @Test
  @DisplayName("random store/insert/erase/load/find/next/prev/gap ops vs a TreeMap model")
  void differential() {
    long seed = Long.getLong("vmalock.seed", DEFAULT_SEED);
    int ops = TestScale.pick(200_000, 2_000_000);
    run(seed, ops, 1 << 16);
  }

  @Test
  @DisplayName("random ops on a tiny index space (dense collisions, many merges)")
  void differentialDense() {
    long seed = Long.getLong("vmalock.seed", DEFAULT_SEED) ^ 0x9e3779b97f4a7c15L;
    run(seed, TestScale.pick(50_000, 500_000), 600);
  }

  private static void run(long seed, int ops, int universe) {
    Runner r = new Runner(seed, universe);
    int i = 0;
    try {
      for (i = 0; i < ops; i++) {
        r.step(i);
        if (i % 1000 == 999) {
          r.tree.validate();
          assertThat(r.tree.size()).isEqualTo(r.model.map.size());
        }
      }
      r.tree.validate();
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError(
          "differential test failed at op " + i + " with seed 0x" + Long.toHexString(seed), e);
    }
  }

  private static final class Runner {
    final SplittableRandom rnd;
    final int universe;
    final MapleTree<Integer> tree = new MapleTree<>();
    final RangeModel<Integer> model = new RangeModel<>();

    Runner(long seed, int universe) {
      this.rnd = new SplittableRandom(seed);
      this.universe = universe;
    }

    long index() {
      int k = rnd.nextInt(100);
      if (k < 90) {
        return rnd.nextInt(universe);
      } else if (k < 95) {
        return -1L - rnd.nextInt(universe); // near ULONG_MAX
      } else {
        return Long.MIN_VALUE - universe / 2 + rnd.nextInt(universe); // across the sign bit
      }
    }

    long length() {
      int k = rnd.nextInt(100);
      if (k < 70) {
        return 1 + rnd.nextInt(16);
      } else if (k < 95) {
        return 1 + rnd.nextInt(256);
      }
      return 1 + rnd.nextInt(Math.max(1, universe / 4));
    }

    /** [first, last] from a random start and length, clamped at -1L. */
    long[] range() {
      long first = index();
      long len = length();
      long last = first + len - 1;
      if (Long.compareUnsigned(last, first) < 0) {
        last = -1L;
      }
      return new long[] {first, last};
    }

    void step(int op) {
      int k = rnd.nextInt(100);
      if (k < 30) {
        long[] r = range();
        Integer e = rnd.nextInt(10) == 0 ? null : op;
        tree.storeRange(r[0], r[1], e);
        model.store(r[0], r[1], e);
      } else if (k < 40) {
        long[] r = range();
        Integer e = op;
        if (model.anyIn(r[0], r[1])) {
          assertThatThrownBy(() -> tree.insertRange(r[0], r[1], e))
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("EEXIST");
        } else {
          tree.insertRange(r[0], r[1], e);
          model.store(r[0], r[1], e);
        }
      } else if (k < 48) {
        long i = index();
        RangeModel.Range<Integer> at = model.rangeAt(i);
        assertThat(tree.erase(i)).isEqualTo(at == null ? null : at.entry());
        if (at != null) {
          model.store(at.first(), at.last(), null);
        }
      } else if (k < 70) {
        long i = index();
        assertThat(tree.load(i)).as("load(%x)", i).isEqualTo(model.load(i));
      } else if (k < 80) {
        checkForward();
      } else if (k < 88) {
        checkBackward();
      } else if (k < 92) {
        checkWalk();
      } else {
        checkArea();
      }
    }

    void checkForward() {
      long from = index();
      long max = rnd.nextBoolean() ? from + length() * 4 : -1L;
      if (Long.compareUnsigned(max, from) < 0) {
        max = -1L;
      }
      MaState<Integer> mas = tree.state(from);
      Integer got = mas.find(max);
      RangeModel.Range<Integer> want = model.firstFrom(from, max);
      for (int step = 0; step < 4; step++) {
        if (want == null) {
          assertThat(got).as("find/next from %x to %x", from, max).isNull();
          assertThat(mas.next(max)).isNull();
          return;
        }
        assertThat(got).as("find/next from %x to %x", from, max).isEqualTo(want.entry());
        assertThat(mas.index()).isEqualTo(want.first());
        assertThat(mas.last()).isEqualTo(want.last());
        if (want.last() == -1L) {
          assertThat(mas.next(-1L)).isNull();
          return;
        }
        long nextFrom = want.last() + 1;
        want = Long.compareUnsigned(nextFrom, max) <= 0 ? model.firstFrom(nextFrom, max) : null;
        got = mas.next(max);
      }
    }

    void checkBackward() {
      long from = index();
      long min = rnd.nextBoolean() ? from - length() * 4 : 0L;
      if (Long.compareUnsigned(min, from) > 0) {
        min = 0L;
      }
      MaState<Integer> mas = tree.state(from);
      Integer got = mas.findRev(min);
      RangeModel.Range<Integer> want = model.lastFrom(from, min);
      for (int step = 0; step < 4; step++) {
        if (want == null) {
          assertThat(got).as("findRev/prev from %x to %x", from, min).isNull();
          assertThat(mas.prev(min)).isNull();
          return;
        }
        assertThat(got).as("findRev/prev from %x to %x", from, min).isEqualTo(want.entry());
        assertThat(mas.index()).isEqualTo(want.first());
        assertThat(mas.last()).isEqualTo(want.last());
        if (want.first() == 0) {
          assertThat(mas.prev(0L)).isNull();
          return;
        }
        long prevFrom = want.first() - 1;
        want = Long.compareUnsigned(prevFrom, min) >= 0 ? model.lastFrom(prevFrom, min) : null;
        got = mas.prev(min);
      }
    }

    void checkWalk() {
      long i = index();
      MaState<Integer> mas = tree.state(i);
      Integer got = mas.walk();
      RangeModel.Range<Integer> at = model.rangeAt(i);
      if (at != null) {
        assertThat(got).isEqualTo(at.entry());
        assertThat(mas.index()).isEqualTo(at.first());
        assertThat(mas.last()).isEqualTo(at.last());
      } else {
        assertThat(got).isNull();
        var before = model.map.lowerEntry(i);
        var after = model.map.higherEntry(i);
        assertThat(mas.index()).isEqualTo(before == null ? 0L : before.getValue().last() + 1);
        assertThat(mas.last()).isEqualTo(after == null ? -1L : after.getKey() - 1);
      }
    }

    void checkArea() {
      long a = index();
      long b = index();
      long min = Long.compareUnsigned(a, b) <= 0 ? a : b;
      long max = Long.compareUnsigned(a, b) <= 0 ? b : a;
      long size = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 512);
      if (Long.compareUnsigned(max - min, size - 1) < 0) {
        assertThatThrownBy(() -> tree.emptyArea(min, max, size))
            .isInstanceOf(IllegalArgumentException.class);
        return;
      }
      Long want = model.emptyArea(min, max, size);
      Long wantRev = model.emptyAreaRev(min, max, size);
      if (want == null) {
        assertThat(wantRev).isNull();
        assertThatThrownBy(() -> tree.emptyArea(min, max, size))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("busy");
        assertThatThrownBy(() -> tree.emptyAreaRev(min, max, size))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("busy");
      } else {
        assertThat(tree.emptyArea(min, max, size))
            .as("emptyArea(%x, %x, %d)", min, max, size)
            .isEqualTo(want);
        assertThat(tree.emptyAreaRev(min, max, size))
            .as("emptyAreaRev(%x, %x, %d)", min, max, size)
            .isEqualTo(wantRev);
      }
    }
  }
}
