package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import io.github.vmalock.jmh.VmaLookupBench;
import io.github.vmalock.jmh.baseline.Range;
import io.github.vmalock.maple.MapleTree;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a copy-on-write store costs a lock-free reader of the same tree: a diagnostic for the
 * under-the-writer bar, without the mm. One thread walks a bare {@link MapleTree} of 4,096 ranges
 * (the {@code MAPLE_LOAD} lookup of {@link VmaLookupBench}); the other stores a range far to the
 * right of them and erases it again, as the writer's {@code mmap} + {@code munmap} do to the mm's
 * tree, into either the tree the reader walks ({@link Target#SAME_TREE}) or a second tree of the
 * same shape ({@link Target#OTHER_TREE}).
 *
 * <p>Every store in this tree builds a new node for each level of its path and publishes the new
 * root, so after each one a reader's next walk starts at a root it has never read. If the reader
 * beside {@code SAME_TREE} is much slower than beside {@code OTHER_TREE} (the same work and
 * allocation on other lines), that publication is what the reader pays.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TreeStoreBesideLoadBench {

  /** Which tree the storing thread writes. */
  public enum Target {
    /** The tree the reader walks. */
    SAME_TREE,
    /** A second tree of the same shape. */
    OTHER_TREE
  }

  /** The two trees and the reader's address stream, built once per trial. */
  @State(Scope.Group)
  public static class Trees {
    /** Which tree the storing thread writes. */
    @Param({"SAME_TREE", "OTHER_TREE"})
    public Target target;

    MapleTree<Range> read;
    MapleTree<Range> written;
    Range far;
    long[] addrs;

    /** Builds both trees with the layout's 4,096 ranges and checks the reader's stream. */
    @Setup(Level.Trial)
    public void setUp() {
      read = MmLayout.bareMaple(4096);
      written = target == Target.SAME_TREE ? read : MmLayout.bareMaple(4096);
      far = new Range(MmLayout.FAR, MmLayout.FAR + MmLayout.FAR_LENGTH);
      addrs = MmLayout.addresses(4096, 0);
      for (long addr : addrs) {
        MmLayout.check("reader", 4096, addr, read.load(addr).start);
      }
      MmLayout.compact();
    }
  }

  /**
   * One lookup of the next address.
   *
   * @return the found range's start
   */
  @Benchmark
  @Group("beside")
  @GroupThreads(1)
  public long reader(Trees trees, VmaLookupBench.Cursor cursor) {
    int k = cursor.advance();
    return trees.read.load(trees.addrs[k]).start;
  }

  /**
   * One store of the far range and its erasure, in the target tree.
   *
   * @return the erased range (consumed)
   */
  @Benchmark
  @Group("beside")
  @GroupThreads(1)
  public Range writer(Trees trees) {
    trees.written.storeRange(trees.far.start, trees.far.end - 1, trees.far);
    return trees.written.erase(trees.far.start);
  }
}
