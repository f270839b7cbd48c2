package io.github.vmalock.maple;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One writer replacing, splitting, merging and spanning ranges while lock-free readers load and
 * iterate: a reader only ever sees an entry that was stored over the index it asked for, never
 * {@code null} inside the always-covered region, and a cursor always sees strictly ascending,
 * non-overlapping ranges (no torn node).
 */
class MapleTreeConcurrentTest {

  /** An entry that remembers the range it was stored over. */
  record Stored(long first, long last, long serial) {}

  private static final int SLOTS = 512;
  private static final long SLOT = 16;
  private static final long COVERED_END = SLOTS * SLOT; // [0, COVERED_END) is always covered

  @Test
  @DisplayName("writer vs lock-free readers: only entries that covered the index, never torn")
  void writerVersusReaders() throws Exception {
    MapleTree<Stored> t = new MapleTree<>();
    AtomicLong serial = new AtomicLong();
    for (int k = 0; k < SLOTS; k++) {
      t.storeRange(k * SLOT, k * SLOT + SLOT - 1, new Stored(k * SLOT, k * SLOT + SLOT - 1, 0));
    }
    int writes = TestScale.pick(30_000, 2_000_000);
    AtomicBoolean done = new AtomicBoolean();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> readers = new ArrayList<>();
    long[] reads = new long[2];
    for (int r = 0; r < 2; r++) {
      int id = r;
      Thread reader =
          new Thread(
              () -> {
                SplittableRandom rnd = new SplittableRandom(1234 + id);
                long n = 0;
                while (!done.get() && failures.isEmpty()) {
                  long i = rnd.nextLong(COVERED_END + 256);
                  Stored e = t.load(i);
                  if (i < COVERED_END) {
                    if (e == null) {
                      failures.add("null at covered index " + i);
                    } else if (i < e.first() || i > e.last()) {
                      failures.add("entry " + e + " never covered " + i);
                    }
                  } else if (e != null && (i < e.first() || i > e.last())) {
                    failures.add("entry " + e + " never covered " + i + " (above the region)");
                  }
                  if ((n & 63) == 0) {
                    iterate(t, rnd.nextLong(COVERED_END), failures);
                  }
                  n++;
                }
                reads[id] = n;
              },
              "maple-reader-" + r);
      readers.add(reader);
      reader.start();
    }
    SplittableRandom rnd = new SplittableRandom(42);
    try {
      for (int w = 0; w < writes && failures.isEmpty(); w++) {
        long k = rnd.nextInt(SLOTS);
        long base = k * SLOT;
        long s = serial.incrementAndGet();
        switch (rnd.nextInt(4)) {
          case 0: // replace the whole slot
            t.storeRange(base, base + SLOT - 1, new Stored(base, base + SLOT - 1, s));
            break;
          case 1: // split: cut a piece out of the middle
            {
              long a = base + 1 + rnd.nextInt((int) SLOT - 2);
              long b = a + rnd.nextInt((int) (base + SLOT - 1 - a));
              t.storeRange(a, b, new Stored(a, b, s));
            }
            break;
          case 2: // span several slots
            {
              long last = Math.min(COVERED_END - 1, base + SLOT * (1 + rnd.nextInt(40)) - 1);
              t.storeRange(base, last, new Stored(base, last, s));
            }
            break;
          default: // remove and re-add above the covered region
            long x = COVERED_END + rnd.nextInt(200);
            t.storeRange(x, x + 3, new Stored(x, x + 3, s));
            t.storeRange(x, x + 3, null);
            break;
        }
      }
    } finally {
      done.set(true);
      for (Thread reader : readers) {
        reader.join();
      }
    }
    assertThat(failures).isEmpty();
    assertThat(reads[0] + reads[1]).isPositive();
    t.validate();
  }

  private static void iterate(MapleTree<Stored> t, long from, ConcurrentLinkedQueue<String> out) {
    MaState<Stored> mas = t.state(from);
    long prevLast = -1;
    boolean first = true;
    for (Stored e = mas.find(COVERED_END - 1); e != null; e = mas.find(COVERED_END - 1)) {
      if (mas.index() < e.first() || mas.last() > e.last()) {
        out.add("cursor range [" + mas.index() + ", " + mas.last() + "] outside " + e);
        return;
      }
      if (!first && mas.index() <= prevLast) {
        out.add("cursor went back: [" + mas.index() + ", " + mas.last() + "] after " + prevLast);
        return;
      }
      if (first && (mas.index() > from || mas.last() < from)) {
        out.add("first range [" + mas.index() + ", " + mas.last() + "] misses " + from);
        return;
      }
      first = false;
      prevLast = mas.last();
    }
    // The region is always covered, so the cursor may stop only once its position (the last range
    // it returned, or a range it re-walked onto after its node died and counted as passed, as
    // mas_rewalk_if_dead() does) reaches the bound.
    if (mas.last() < COVERED_END - 1) {
      out.add(
          "iteration from " + from + " stopped at " + mas.last() + ", last entry to " + prevLast);
    }
  }
}
