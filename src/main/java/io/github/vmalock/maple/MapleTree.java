package io.github.vmalock.maple;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * An RCU-safe range index over inclusive ranges of unsigned 64-bit indices, modelled on the Linux
 * kernel's maple tree ({@code lib/maple_tree.c}) in RCU mode with allocation-range tracking ({@code
 * MT_FLAGS_USE_RCU | MT_FLAGS_ALLOC_RANGE}, as the kernel's {@code mm_mt}).
 *
 * <p>The tree maps every index in {@code [0, -1L]} (that is {@code [0, ULONG_MAX]}, compared
 * unsigned) to an entry or to {@code null}; a stored range {@code [first, last]} is inclusive at
 * both ends. Any number of threads may read at any time without a lock ({@link #load}, {@link
 * #state} cursors, {@link #emptyArea}, {@link #size}, {@link #validate}); writes ({@link
 * #storeRange}, {@link #insertRange}, {@link #erase}) are serialised by one writer lock: the tree's
 * own lock by default, or, as the kernel's {@code mt_set_external_lock()}, an external lock that
 * the tree never takes itself but asserts on every write ({@link #MapleTree(BooleanSupplier)}).
 *
 * <p>A reader sees, for every operation, one complete version of the tree: the state after some
 * write that completed before the read ended, never a torn node. A multi-step change made of
 * several writes (for example shrinking one range and then storing another) can be observed half
 * done, exactly as in the kernel.
 *
 * @param <T> the entry type; {@code null} is the absence of an entry
 */
public final class MapleTree<T> {
  /*
   * Implementation notes.
   *
   * Shape. A B-tree whose leaves are the kernel's maple_leaf_64 / maple_range_64: up to
   * LEAF_SLOTS (16) slots and LEAF_SLOTS - 1 pivots; slot i covers (pivot[i-1], pivot[i]], slot 0
   * starts at the node's minimum and the last used slot (end, the kernel's ma_data_end) runs to the
   * node's maximum, both inherited from the parent. Internal nodes are the kernel's
   * maple_arange_64: up to ARANGE_SLOTS (10) children, ARANGE_SLOTS - 1 pivots, and gap[i],
   * the length of the largest null range under child i. Gaps (null ranges) are stored as ranges, as
   * in the kernel, and two adjacent ranges are never both null (a null store absorbs its null
   * neighbours, as mas_wr_extend_null()). An empty tree is one leaf holding the single range [0,
   * -1L] -> null. All leaves are at the same depth.
   *
   * Node layout, and the lookup. A node keeps its pivots in fifteen long fields (p0 .. p14) of the
   * node object itself, and its slots in one Object[], so a lookup touches two objects per level
   * (the node and its slot array) instead of three, and the pivot loads all depend on the node's
   * address only. Unused pivots hold -1L (ULONG_MAX), so load finds the slot without a loop bound
   * and without a branch on the data: it counts the pivots below the index (slot = the number of
   * pivots < index), 9 for an internal node, 15 for a leaf, written without a data-dependent branch. An
   * early-exit scan, as the kernel's linear pivot walk, mispredicts its exit branch about once per
   * level on random indices; with that scan and the pivots in a separate array, load took about
   * 1.3x to 1.6x its present time at 4,096 ranges.
   *
   * Gap invariant. For every internal node and every child i: gap[i] equals the largest length of a
   * null range inside child i, lengths saturating at -1L (2^64 - 1, so the whole space, 2^64
   * indices, still compares larger than any request). emptyArea descends only into children whose
   * gap is large enough, so a search visits O(log n) nodes, plus the edge paths of the window
   * (mas_empty_area()). validate recomputes every gap.
   *
   * Copy-on-write publication. Nodes are immutable once built: every field, pivots included, is
   * final (except the dead mark) and their arrays are filled before the constructor returns and
   * never written again. A write builds new nodes for the leaves it changes and for every ancestor
   * up to a new root (rebalancing with siblings as it goes, as mas_spanning_rebalance()), reusing
   * all untouched subtrees, so it allocates O(log n) nodes whatever the tree size (a store that
   * drops k ranges also walks the dropped subtrees once, O(k), to mark them dead and count them).
   * It then publishes the whole new version with ONE release store of root (rcu_assign_pointer()).
   * Readers start every operation with one acquire load of root (rcu_dereference()) and then follow
   * only final fields and the contents of arrays written before that release store: the release
   * store pairs with the acquire load, so every node reachable from the root a reader loaded is
   * completely initialised when the reader sees it, and the rest of the walk needs only plain
   * (data-dependent) loads. The dependency on the acquired root is what the kernel's
   * rcu_dereference() relies on; in Java the acquire load is what makes it sound under the JMM, and
   * it costs nothing extra on x86 and one ldar on AArch64. Because a version is never modified, a
   * single load linearises at its acquire load of the root and needs no retry loop: nothing it
   * reads afterwards can change under it.
   *
   * Dead nodes and cursor restart. After the release store the writer marks every node it replaced
   * (the old path, the rebalanced siblings and every dropped subtree) dead with a release store of
   * Node.dead (the kernel's mte_set_node_dead(), which it does before the RCU free). A MaState
   * cursor keeps its leaf between calls; each step first reads the leaf's dead mark with an acquire
   * load, and if it is set, the cursor restarts from the root at its current position (the kernel's
   * mas_dead_node() / mas_rewalk_if_dead()); a range of the new version that reaches back over that
   * position counts as passed, so a cursor never goes back. The dead store follows the root store
   * in program order and the cursor's acquire load of the mark precedes its acquire load of the
   * root, so a cursor that sees a node dead also sees a root at least as new as the write that
   * killed it. A cursor that does not see the mark yet keeps reading an old, complete version,
   * which is the RCU guarantee. Memory is reclaimed by the garbage collector, which plays the role
   * of the RCU grace period for the nodes (ma_free_rcu()).
   *
   * Rebalancing. At each level a write replaces a window of nodes: the nodes on the paths to first
   * and last and everything between them. The window's content (the kept prefix of the left node,
   * the new children or ranges, the kept suffix of the right node) is redistributed over as few
   * nodes as fit, evenly; a window left with fewer than LEAF_MIN / ARANGE_MIN slots first takes in
   * a sibling under the same parent; a store at the end of the rightmost leaf (an append, as in a
   * sequential fill) packs the new nodes to the left, as the kernel does at the right end of the
   * tree; a root with one child gives way to it.
   *
   * Writers. Writers are serialised by the writer lock, which also orders one writer's plain reads
   * of root, height and size after the previous writer's writes. A write validates all its
   * arguments (and, for insertRange, the range's emptiness) before it builds anything, so an
   * exception leaves the tree unchanged.
   */

  /** Slots in a leaf node, as the kernel's {@code MAPLE_RANGE64_SLOTS}. */
  static final int LEAF_SLOTS = 16;

  /** Slots in an internal (allocation-range) node, as {@code MAPLE_ARANGE64_SLOTS}. */
  static final int ARANGE_SLOTS = 10;

  /**
   * Minimum slots a non-root leaf keeps after a write when a sibling can lend, {@code
   * mt_min_slots}.
   */
  static final int LEAF_MIN = LEAF_SLOTS / 2 - 2;

  /** Minimum children a non-root internal node keeps when a sibling can lend. */
  static final int ARANGE_MIN = ARANGE_SLOTS / 2 - 1;

  /**
   * The current version. Written only by the writer, with a release store through ROOT; read by
   * readers with an acquire load through ROOT, and plainly by the writer under the writer lock.
   */
  private Node root;

  /**
   * Number of non-null ranges. Written only by the writer (release, through SIZE) after the version
   * it counts is published; read with acquire by {@link #size()}, plainly by the writer.
   */
  private int size;

  /** Number of levels (1 = the root is a leaf); writer-only, guarded by the writer lock. */
  private int height;

  /** The tree's own writer lock, or null when the writer lock is external. */
  private final ReentrantLock ownLock;

  /** Says whether the calling thread holds the external writer lock, or null. */
  private final BooleanSupplier externalWriteLockHeld;

  /**
   * Creates an empty tree that serialises writers on its own lock ({@code mt_init_flags(mt,
   * MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU)}). Writes may block on that lock; reads never block.
   */
  public MapleTree() {
    this.ownLock = new ReentrantLock();
    this.externalWriteLockHeld = null;
    init();
  }

  /**
   * Creates an empty tree whose writers are serialised by an external lock that the tree never
   * takes itself, as the kernel's {@code mt_set_external_lock()} (the mm passes "this thread holds
   * the mmap write lock"). Every write calls {@code externalWriteLockHeld} first and throws {@link
   * IllegalStateException}, changing nothing, if it returns false. The external lock must give a
   * happens-before order between successive writers (any {@code java.util.concurrent} lock does).
   *
   * @param externalWriteLockHeld says whether the calling thread holds the external writer lock
   * @throws IllegalArgumentException if {@code externalWriteLockHeld} is null
   */
  public MapleTree(BooleanSupplier externalWriteLockHeld) {
    if (externalWriteLockHeld == null) {
      throw new IllegalArgumentException("externalWriteLockHeld is null");
    }
    this.ownLock = null;
    this.externalWriteLockHeld = externalWriteLockHeld;
    init();
  }

  private void init() {
    Node empty = Node.leaf(new long[0], 0, new Object[] {null}, 1, 0L, -1L);
    this.height = 1;
    SIZE.setRelease(this, 0);
    ROOT.setRelease(this, empty);
  }

  // ---------------------------------------------------------------------------------------------
  // Readers
  // ---------------------------------------------------------------------------------------------

  /**
   * Returns the entry whose range contains {@code index}, or {@code null} if {@code index} lies in
   * a gap ({@code mtree_load()}). Lock-free: needs no lock, never blocks, never retries, and
   * allocates nothing. The result is the entry in one complete version of the tree, no older than
   * the last write that completed before this call began.
   *
   * @param index any index, unsigned
   * @return the entry covering {@code index}, or {@code null}
   */
  @SuppressWarnings("unchecked")
  public T load(long index) {
    Node n = (Node) ROOT.getAcquire(this);
    while (true) {
      Object slot = n.slots[slotOf(n, index)];
      if (n.leaf) {
        return (T) slot;
      }
      n = (Node) slot;
    }
  }

  /**
   * Returns a new cursor positioned at {@code index} in its start state ({@code MA_STATE(mas, mt,
   * index, index)}). The cursor belongs to the calling thread; see {@link MaState}.
   *
   * @param index the starting index, unsigned
   * @return a new cursor
   */
  public MaState<T> state(long index) {
    return new MaState<>(this, index);
  }

  /**
   * Returns the number of non-null ranges stored. Lock-free; while a write is in progress it may
   * briefly lag the version a concurrent {@link #load} sees (it is updated just after the new
   * version is published).
   *
   * @return the number of stored ranges
   */
  public int size() {
    return (int) SIZE.getAcquire(this);
  }

  /**
   * Returns the lowest start of a free (all-{@code null}) range of {@code size} indices lying
   * inside {@code [min, max]} ({@code mas_empty_area()}, as used by {@code vm_unmapped_area()} for
   * bottom-up searches). Lock-free: it searches one version of the tree using the per-child gap
   * values, visiting O(log n) nodes; the caller must hold the writer lock if it wants the answer to
   * stay true until it stores there (the kernel calls it under the mmap write lock).
   *
   * @param min lowest acceptable index, unsigned
   * @param max highest acceptable index, unsigned
   * @param size number of indices wanted, unsigned, at least 1
   * @return the start {@code s} of the lowest free range {@code [s, s + size - 1]} inside {@code
   *     [min, max]}
   * @throws IllegalArgumentException if {@code size == 0}, {@code min > max}, or the window {@code
   *     [min, max]} is smaller than {@code size} (the kernel's -EINVAL)
   * @throws IllegalStateException ("busy", the kernel's -EBUSY) if there is no such free range
   */
  public long emptyArea(long min, long max, long size) {
    checkArea(min, max, size);
    long[] out = new long[1];
    if (!areaForward((Node) ROOT.getAcquire(this), 0L, -1L, min, max, size, out)) {
      throw busy(min, max, size);
    }
    return out[0];
  }

  /**
   * Returns the highest start of a free (all-{@code null}) range of {@code size} indices lying
   * inside {@code [min, max]} ({@code mas_empty_area_rev()}, as used by {@code vm_unmapped_area()}
   * for top-down searches). Same contract as {@link #emptyArea} otherwise.
   *
   * @param min lowest acceptable index, unsigned
   * @param max highest acceptable index, unsigned
   * @param size number of indices wanted, unsigned, at least 1
   * @return the start {@code s} of the highest free range {@code [s, s + size - 1]} inside {@code
   *     [min, max]}
   * @throws IllegalArgumentException if {@code size == 0}, {@code min > max}, or the window is
   *     smaller than {@code size}
   * @throws IllegalStateException ("busy") if there is no such free range
   */
  public long emptyAreaRev(long min, long max, long size) {
    checkArea(min, max, size);
    long[] out = new long[1];
    if (!areaReverse((Node) ROOT.getAcquire(this), 0L, -1L, min, max, size, out)) {
      throw busy(min, max, size);
    }
    return out[0];
  }

  private static void checkArea(long min, long max, long size) {
    if (size == 0) {
      throw new IllegalArgumentException("size is 0 (window [" + hex(min) + ", " + hex(max) + "])");
    }
    if (Long.compareUnsigned(min, max) > 0) {
      throw new IllegalArgumentException("min > max: min=" + hex(min) + ", max=" + hex(max));
    }
    if (Long.compareUnsigned(max - min, size - 1) < 0) {
      throw new IllegalArgumentException(
          "window ["
              + hex(min)
              + ", "
              + hex(max)
              + "] is smaller than size "
              + Long.toUnsignedString(size));
    }
  }

  private static IllegalStateException busy(long min, long max, long size) {
    return new IllegalStateException(
        "busy: no free range of "
            + Long.toUnsignedString(size)
            + " indices in ["
            + hex(min)
            + ", "
            + hex(max)
            + "]");
  }

  private static boolean areaForward(
      Node n, long nmin, long nmax, long min, long max, long size, long[] out) {
    for (int i = 0; i <= n.end; i++) {
      long cmin = i == 0 ? nmin : n.pivot(i - 1) + 1;
      long cmax = i == n.end ? nmax : n.pivot(i);
      if (Long.compareUnsigned(cmax, min) < 0) {
        continue;
      }
      if (Long.compareUnsigned(cmin, max) > 0) {
        return false;
      }
      if (n.leaf) {
        if (n.slots[i] == null) {
          long a = Long.compareUnsigned(cmin, min) < 0 ? min : cmin;
          long b = Long.compareUnsigned(cmax, max) > 0 ? max : cmax;
          if (Long.compareUnsigned(b - a, size - 1) >= 0) {
            out[0] = a;
            return true;
          }
        }
      } else if (Long.compareUnsigned(n.gaps[i], size) >= 0
          && areaForward((Node) n.slots[i], cmin, cmax, min, max, size, out)) {
        return true;
      }
    }
    return false;
  }

  private static boolean areaReverse(
      Node n, long nmin, long nmax, long min, long max, long size, long[] out) {
    for (int i = n.end; i >= 0; i--) {
      long cmin = i == 0 ? nmin : n.pivot(i - 1) + 1;
      long cmax = i == n.end ? nmax : n.pivot(i);
      if (Long.compareUnsigned(cmin, max) > 0) {
        continue;
      }
      if (Long.compareUnsigned(cmax, min) < 0) {
        return false;
      }
      if (n.leaf) {
        if (n.slots[i] == null) {
          long a = Long.compareUnsigned(cmin, min) < 0 ? min : cmin;
          long b = Long.compareUnsigned(cmax, max) > 0 ? max : cmax;
          if (Long.compareUnsigned(b - a, size - 1) >= 0) {
            out[0] = b - (size - 1);
            return true;
          }
        }
      } else if (Long.compareUnsigned(n.gaps[i], size) >= 0
          && areaReverse((Node) n.slots[i], cmin, cmax, min, max, size, out)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Writers
  // ---------------------------------------------------------------------------------------------

  /**
   * Stores {@code entry} over every index of {@code [first, last]}, cutting any range that sticks
   * out of it and overwriting whatever lay inside ({@code mtree_store_range()}); a {@code null}
   * entry erases the range. Takes the writer lock (own lock: may block; external lock: must be
   * held, else {@link IllegalStateException}); on return the new version is published to readers.
   *
   * @param first first index, unsigned
   * @param last last index, unsigned, {@code >= first}
   * @param entry the entry, or {@code null} to erase
   * @throws IllegalArgumentException if {@code first > last} (unsigned); the tree is unchanged
   * @throws IllegalStateException if the tree uses an external lock that the caller does not hold;
   *     the tree is unchanged
   */
  public void storeRange(long first, long last, T entry) {
    checkRange(first, last);
    lockWriter();
    try {
      store(first, last, entry);
    } finally {
      unlockWriter();
    }
  }

  /**
   * Stores {@code entry} over {@code [first, last]} if every index there is empty ({@code
   * mtree_insert_range()}). Locking as {@link #storeRange}.
   *
   * @param first first index, unsigned
   * @param last last index, unsigned, {@code >= first}
   * @param entry the entry, not {@code null}
   * @throws IllegalArgumentException if {@code first > last} (unsigned) or {@code entry} is null
   *     (the kernel's -EINVAL); the tree is unchanged
   * @throws IllegalStateException if some index of the range is occupied (the kernel's -EEXIST), or
   *     the external lock is not held; the tree is unchanged
   */
  public void insertRange(long first, long last, T entry) {
    checkRange(first, last);
    if (entry == null) {
      throw new IllegalArgumentException(
          "insertRange of a null entry at [" + hex(first) + ", " + hex(last) + "]");
    }
    lockWriter();
    try {
      MaState<T> mas = new MaState<>(this, first);
      T found = mas.find(last);
      if (found != null) {
        throw new IllegalStateException(
            "EEXIST: ["
                + hex(first)
                + ", "
                + hex(last)
                + "] overlaps the occupied range ["
                + hex(mas.index())
                + ", "
                + hex(mas.last())
                + "]");
      }
      store(first, last, entry);
    } finally {
      unlockWriter();
    }
  }

  /**
   * Removes the whole range containing {@code index} ({@code mtree_erase()}). Locking as {@link
   * #storeRange}.
   *
   * @param index any index, unsigned
   * @return the entry that covered {@code index}, or {@code null} if it lay in a gap (the tree is
   *     then unchanged)
   * @throws IllegalStateException if the external lock is not held; the tree is unchanged
   */
  public T erase(long index) {
    lockWriter();
    try {
      MaState<T> mas = new MaState<>(this, index);
      T old = mas.walk();
      if (old != null) {
        store(mas.index(), mas.last(), null);
      }
      return old;
    } finally {
      unlockWriter();
    }
  }

  private static void checkRange(long first, long last) {
    if (Long.compareUnsigned(first, last) > 0) {
      throw new IllegalArgumentException(
          "first > last: first=" + hex(first) + ", last=" + hex(last));
    }
  }

  private void lockWriter() {
    if (ownLock != null) {
      ownLock.lock();
    } else if (!externalWriteLockHeld.getAsBoolean()) {
      throw new IllegalStateException("write to a maple tree without holding its external lock");
    }
  }

  private void unlockWriter() {
    if (ownLock != null) {
      ownLock.unlock();
    }
  }

  /** Growable item list: the content of a window of nodes at one level, in index order. */
  private static final class Items {
    // Sized for one full node of the level and the pieces a store adds (a leaf: 16 + 3; an
    // internal level: 10 + 2 new children); a rebalance that borrows a sibling grows it. Leaf
    // levels carry no gaps (the writer allocates about 2 KB less per store than with one size).
    long[] pivot;
    Object[] slot;
    long[] gap;
    int n;

    Items(boolean leaf) {
      int cap = leaf ? LEAF_SLOTS + 4 : ARANGE_SLOTS + 2;
      pivot = new long[cap];
      slot = new Object[cap];
      gap = leaf ? null : new long[cap];
    }

    void add(long p, Object s, long g) {
      if (n == pivot.length) {
        int len = n * 2;
        pivot = java.util.Arrays.copyOf(pivot, len);
        slot = java.util.Arrays.copyOf(slot, len);
        if (gap != null) {
          gap = java.util.Arrays.copyOf(gap, len);
        }
      }
      pivot[n] = p;
      slot[n] = s;
      if (gap != null) {
        gap[n] = g;
      }
      n++;
    }

    /** Adds slots [from, to] of {@code node}, whose maximum is {@code nmax}. */
    void addSlots(Node node, int from, int to, long nmax) {
      for (int i = from; i <= to; i++) {
        add(i == node.end ? nmax : node.pivot(i), node.slots[i], node.leaf ? 0 : node.gaps[i]);
      }
    }
  }

  /** The writer: the copy-on-write store of {@code entry} over [first, last]. Lock held. */
  private void store(long first, long last, Object entry) {
    Node oldRoot = root;
    if (entry == null) {
      // mas_wr_extend_null(): absorb null neighbours so no two null ranges are adjacent.
      long[] r = new long[2];
      if (first != 0 && rangeOf(oldRoot, first - 1, r) == null) {
        first = r[0];
      }
      if (last != -1L && rangeOf(oldRoot, last + 1, r) == null) {
        last = r[1];
      }
    }
    int h = height;
    Node[] ln = new Node[h];
    int[] lo = new int[h];
    long[] lmin = new long[h];
    long[] lmax = new long[h];
    Node[] rn = new Node[h];
    int[] ro = new int[h];
    long[] rmin = new long[h];
    long[] rmax = new long[h];
    walkPath(oldRoot, first, ln, lo, lmin, lmax);
    walkPath(oldRoot, last, rn, ro, rmin, rmax);

    // What this write replaces: the two edge paths, and the subtrees strictly between them.
    List<Node> replaced = new ArrayList<>();
    List<Node> dropped = new ArrayList<>();
    for (int d = 0; d < h; d++) {
      replaced.add(ln[d]);
      if (rn[d] != ln[d]) {
        replaced.add(rn[d]);
      }
      if (d + 1 < h) {
        if (ln[d] == rn[d]) {
          for (int i = lo[d] + 1; i < ro[d]; i++) {
            dropped.add((Node) ln[d].slots[i]);
          }
        } else {
          for (int i = lo[d] + 1; i <= ln[d].end; i++) {
            dropped.add((Node) ln[d].slots[i]);
          }
          for (int i = 0; i < ro[d]; i++) {
            dropped.add((Node) rn[d].slots[i]);
          }
        }
      }
    }
    // Entries this write removes (for size), counted before anything changes.
    int removed = 0;
    int leaf = h - 1;
    {
      int to = ln[leaf] == rn[leaf] ? ro[leaf] : ln[leaf].end;
      for (int i = lo[leaf]; i <= to; i++) {
        removed += ln[leaf].slots[i] != null ? 1 : 0;
      }
      if (ln[leaf] != rn[leaf]) {
        for (int i = 0; i <= ro[leaf]; i++) {
          removed += rn[leaf].slots[i] != null ? 1 : 0;
        }
      }
      for (Node sub : dropped) {
        removed += countEntries(sub);
      }
    }
    int added = entry != null ? 1 : 0;

    // Leaf level: prefix of the left leaf, the cut-off head of the range containing first, the new
    // range, the cut-off tail of the range containing last, suffix of the right leaf.
    Items items = new Items(true);
    Node l = ln[leaf];
    int lOff = lo[leaf];
    items.addSlots(l, 0, lOff - 1, lmax[leaf]);
    long headStart = lOff == 0 ? lmin[leaf] : l.pivot(lOff - 1) + 1;
    if (first != headStart) {
      items.add(first - 1, l.slots[lOff], 0);
      added += l.slots[lOff] != null ? 1 : 0;
    }
    int newAt = items.n;
    items.add(last, entry, 0);
    Node r = rn[leaf];
    int rOff = ro[leaf];
    long tailEnd = rOff == r.end ? rmax[leaf] : r.pivot(rOff);
    if (last != tailEnd) {
      items.add(tailEnd, r.slots[rOff], 0);
      added += r.slots[rOff] != null ? 1 : 0;
    }
    items.addSlots(r, rOff + 1, r.end, rmax[leaf]);
    long winMin = lmin[leaf];
    // An append (a store at the end of the rightmost leaf, as in a sequential fill) packs the
    // nodes it splits to the left, as the kernel's split does for the right end of the tree, so
    // that sequential stores leave full nodes instead of half-full ones.
    boolean append = rmax[leaf] == -1L && newAt >= items.n - 2;

    Node[] built = null;
    for (int d = leaf; d >= 0; d--) {
      boolean isLeaf = d == leaf;
      if (d > 0) {
        // Rebalance (mas_spanning_rebalance()): an underfull window borrows a sibling under the
        // same parent, which the parent level then drops from its own content.
        int minSlots = isLeaf ? LEAF_MIN : ARANGE_MIN;
        while (items.n < minSlots) {
          Node lp = ln[d - 1];
          Node rp = rn[d - 1];
          if (lo[d - 1] > 0) {
            int s = lo[d - 1] - 1;
            Node sib = (Node) lp.slots[s];
            long smin = s == 0 ? lmin[d - 1] : lp.pivot(s - 1) + 1;
            long smax = lp.pivot(s);
            Items merged = new Items(isLeaf);
            merged.addSlots(sib, 0, sib.end, smax);
            for (int i = 0; i < items.n; i++) {
              merged.add(items.pivot[i], items.slot[i], items.gap == null ? 0 : items.gap[i]);
            }
            items = merged;
            winMin = smin;
            lo[d - 1] = s;
            replaced.add(sib);
          } else if (ro[d - 1] < rp.end) {
            int s = ro[d - 1] + 1;
            Node sib = (Node) rp.slots[s];
            long smax = s == rp.end ? rmax[d - 1] : rp.pivot(s);
            items.addSlots(sib, 0, sib.end, smax);
            ro[d - 1] = s;
            replaced.add(sib);
          } else {
            break;
          }
        }
      }
      built = buildNodes(items, isLeaf, winMin, append);
      if (d > 0) {
        Items up = new Items(false);
        up.addSlots(ln[d - 1], 0, lo[d - 1] - 1, lmax[d - 1]);
        for (Node b : built) {
          up.add(b.max, b, b.maxGap);
        }
        up.addSlots(rn[d - 1], ro[d - 1] + 1, rn[d - 1].end, rmax[d - 1]);
        items = up;
        winMin = lmin[d - 1];
      }
    }
    // Above the old root: grow while the top level does not fit in one node.
    int newHeight = h;
    while (built.length > 1) {
      Items up = new Items(false);
      for (Node b : built) {
        up.add(b.max, b, b.maxGap);
      }
      built = buildNodes(up, false, 0L, append);
      newHeight++;
    }
    Node newRoot = built[0];
    // A root with one child gives way to the child.
    while (!newRoot.leaf && newRoot.end == 0) {
      newRoot = (Node) newRoot.slots[0];
      newHeight--;
    }

    height = newHeight;
    ROOT.setRelease(this, newRoot); // publish: pairs with the readers' acquire loads of root
    for (Node dead : replaced) {
      DEAD.setRelease(dead, true);
    }
    for (Node sub : dropped) {
      killSubtree(sub);
    }
    SIZE.setRelease(this, size - removed + added);
  }

  /**
   * Builds the nodes holding {@code items} in as few nodes as fit: split evenly, or, for an append,
   * filling every node but the last.
   */
  private static Node[] buildNodes(Items items, boolean leaf, long min, boolean append) {
    int cap = leaf ? LEAF_SLOTS : ARANGE_SLOTS;
    int n = items.n;
    int k = (n + cap - 1) / cap;
    Node[] out = new Node[k];
    long nodeMin = min;
    for (int j = 0; j < k; j++) {
      int from = append ? j * cap : (int) ((long) j * n / k);
      int to = append ? Math.min(n, (j + 1) * cap) : (int) ((long) (j + 1) * n / k);
      int cnt = to - from;
      Object[] slots = new Object[cap];
      System.arraycopy(items.slot, from, slots, 0, cnt);
      long nodeMax = items.pivot[to - 1];
      if (leaf) {
        out[j] = Node.leaf(items.pivot, from, slots, cnt, nodeMin, nodeMax);
      } else {
        long[] gaps = new long[cap];
        System.arraycopy(items.gap, from, gaps, 0, cnt);
        out[j] = Node.internal(items.pivot, from, slots, gaps, cnt, nodeMax);
      }
      nodeMin = nodeMax + 1;
    }
    return out;
  }

  /** Walks from {@code top} to the leaf containing {@code index}, recording the path. */
  private static void walkPath(
      Node top, long index, Node[] pn, int[] po, long[] pmin, long[] pmax) {
    Node n = top;
    long min = 0;
    long max = -1L;
    for (int d = 0; ; d++) {
      int i = slotOf(n, index);
      pn[d] = n;
      po[d] = i;
      pmin[d] = min;
      pmax[d] = max;
      if (n.leaf) {
        return;
      }
      long cmin = i == 0 ? min : n.pivot(i - 1) + 1;
      long cmax = i == n.end ? max : n.pivot(i);
      n = (Node) n.slots[i];
      min = cmin;
      max = cmax;
    }
  }

  /** Returns the entry at {@code index} in the version rooted at {@code top}; r = its range. */
  private static Object rangeOf(Node top, long index, long[] r) {
    Node n = top;
    long min = 0;
    long max = -1L;
    while (true) {
      int i = slotOf(n, index);
      long cmin = i == 0 ? min : n.pivot(i - 1) + 1;
      long cmax = i == n.end ? max : n.pivot(i);
      if (n.leaf) {
        r[0] = cmin;
        r[1] = cmax;
        return n.slots[i];
      }
      n = (Node) n.slots[i];
      min = cmin;
      max = cmax;
    }
  }

  /** Index of the slot of {@code n} whose range contains {@code index}. */
  static int slotOf(Node n, long index) {
    // Branch-free: count the pivots below index. The unused pivots hold -1L (ULONG_MAX), which is
    // below no index, so the count stops at end without a test; a random index would make the
    // exit branch of an early-exit scan mispredict once per level. The pivots are fields of the
    // node, so the scan reads the node object only (see the class notes, "Node layout"); an
    // internal node has at most ARANGE_SLOTS - 1 = 9 pivots, so only a leaf counts p9 to p14.
    long x = index + Long.MIN_VALUE;
    int i =
        lt(n.p0, x)
            + lt(n.p1, x)
            + lt(n.p2, x)
            + lt(n.p3, x)
            + lt(n.p4, x)
            + lt(n.p5, x)
            + lt(n.p6, x)
            + lt(n.p7, x)
            + lt(n.p8, x);
    if (n.leaf) {
      i += lt(n.p9, x) + lt(n.p10, x) + lt(n.p11, x) + lt(n.p12, x) + lt(n.p13, x) + lt(n.p14, x);
    }
    return i;
  }

  /** 1 if {@code pivot < x + Long.MIN_VALUE} unsigned, else 0 ({@code x} is biased). */
  private static int lt(long pivot, long x) {
    return pivot + Long.MIN_VALUE < x ? 1 : 0;
  }

  private static int countEntries(Node n) {
    int c = 0;
    for (int i = 0; i <= n.end; i++) {
      if (n.leaf) {
        c += n.slots[i] != null ? 1 : 0;
      } else {
        c += countEntries((Node) n.slots[i]);
      }
    }
    return c;
  }

  private static void killSubtree(Node n) {
    DEAD.setRelease(n, true);
    if (!n.leaf) {
      for (int i = 0; i <= n.end; i++) {
        killSubtree((Node) n.slots[i]);
      }
    }
  }

  /**
   * Returns a short description: the number of stored ranges and levels. Lock-free.
   *
   * @return for example {@code MapleTree{size=3, height=1}}
   */
  @Override
  public String toString() {
    return "MapleTree{size=" + size() + ", height=" + height() + "}";
  }

  /** The current root, read with acquire (for cursors). */
  Node rootAcquire() {
    return (Node) ROOT.getAcquire(this);
  }

  /** Number of levels of the current version (1 when the root is a leaf); for tests. */
  int height() {
    int h = 1;
    for (Node n = rootAcquire(); !n.leaf; n = (Node) n.slots[0]) {
      h++;
    }
    return h;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation
  // ---------------------------------------------------------------------------------------------

  /**
   * Checks every structural invariant of the current version and throws {@link
   * IllegalStateException} naming the first broken one ({@code mt_validate()}): pivots strictly
   * ascending and inside the node's range, no node over its slot count, no unused slot holding
   * anything, equal leaf depth, every gap value exact, no two adjacent {@code null} ranges, no dead
   * node reachable, an internal root with at least two children, and {@link #size} equal to the
   * number of stored ranges. Lock-free: it checks one version; call it while no writer runs if the
   * size check must hold (the size is published just after the version).
   *
   * @throws IllegalStateException naming the first broken invariant
   */
  public void validate() {
    Node top = rootAcquire();
    if (!top.leaf && top.end == 0) {
      throw new IllegalStateException("internal root has a single child");
    }
    Validation v = new Validation();
    check(top, 0L, -1L, 1, v);
    int s = size();
    if (v.entries != s) {
      throw new IllegalStateException("size() is " + s + " but the tree holds " + v.entries);
    }
  }

  private static final class Validation {
    int leafDepth = -1;
    int entries;
    boolean lastWasNull;
    boolean any;
  }

  /** Checks the subtree {@code n} covering [min, max]; returns its largest gap. */
  private static long check(Node n, long min, long max, int depth, Validation v) {
    String where = (n.leaf ? "leaf" : "node") + " [" + hex(min) + ", " + hex(max) + "]";
    if (isDead(n)) {
      throw new IllegalStateException("dead " + where + " is reachable");
    }
    int cap = n.leaf ? LEAF_SLOTS : ARANGE_SLOTS;
    if (n.slots.length != cap) {
      throw new IllegalStateException("wrong node shape at " + where);
    }
    if (n.end < 0 || n.end >= cap) {
      throw new IllegalStateException("overlong " + where + ": end=" + n.end);
    }
    if (n.max != max) {
      throw new IllegalStateException("node max " + hex(n.max) + " differs from " + where);
    }
    for (int i = n.end + 1; i < cap; i++) {
      if (n.slots[i] != null) {
        throw new IllegalStateException("unused slot " + i + " is set in " + where);
      }
    }
    for (int i = n.end; i < LEAF_SLOTS - 1; i++) {
      if (n.pivot(i) != -1L) {
        throw new IllegalStateException("unused pivot " + i + " is not -1 in " + where);
      }
    }
    long prev = min;
    for (int i = 0; i < n.end; i++) {
      long p = n.pivot(i);
      boolean low = i == 0 ? Long.compareUnsigned(p, min) < 0 : Long.compareUnsigned(p, prev) <= 0;
      if (low || Long.compareUnsigned(p, max) >= 0) {
        throw new IllegalStateException(
            "pivot[" + i + "]=" + hex(p) + " not ascending inside " + where);
      }
      prev = p;
    }
    long maxGap = 0;
    if (n.leaf) {
      if (v.leafDepth < 0) {
        v.leafDepth = depth;
      } else if (v.leafDepth != depth) {
        throw new IllegalStateException(
            "leaf depth " + depth + " differs from " + v.leafDepth + " at " + where);
      }
      for (int i = 0; i <= n.end; i++) {
        long cmin = i == 0 ? min : n.pivot(i - 1) + 1;
        long cmax = i == n.end ? max : n.pivot(i);
        if (n.slots[i] == null) {
          if (v.any && v.lastWasNull) {
            throw new IllegalStateException(
                "adjacent null ranges at " + hex(cmin) + " in " + where);
          }
          long len = gapLength(cmin, cmax);
          if (Long.compareUnsigned(len, maxGap) > 0) {
            maxGap = len;
          }
          v.lastWasNull = true;
        } else {
          v.entries++;
          v.lastWasNull = false;
        }
        v.any = true;
      }
    } else {
      if (n.gaps == null || n.gaps.length != cap) {
        throw new IllegalStateException("missing gap array at " + where);
      }
      for (int i = 0; i <= n.end; i++) {
        long cmin = i == 0 ? min : n.pivot(i - 1) + 1;
        long cmax = i == n.end ? max : n.pivot(i);
        if (!(n.slots[i] instanceof Node)) {
          throw new IllegalStateException("slot " + i + " of " + where + " is not a node");
        }
        long g = check((Node) n.slots[i], cmin, cmax, depth + 1, v);
        if (g != n.gaps[i]) {
          throw new IllegalStateException(
              "gap["
                  + i
                  + "]="
                  + hex(n.gaps[i])
                  + " but the child's largest gap is "
                  + hex(g)
                  + " in "
                  + where);
        }
        if (Long.compareUnsigned(g, maxGap) > 0) {
          maxGap = g;
        }
      }
    }
    if (n.maxGap != maxGap) {
      throw new IllegalStateException(
          "cached max gap " + hex(n.maxGap) + " but computed " + hex(maxGap) + " in " + where);
    }
    return maxGap;
  }

  /** Length of [a, b], saturating at -1L (2^64 - 1) for the whole space. */
  static long gapLength(long a, long b) {
    long span = b - a;
    return span == -1L ? -1L : span + 1;
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  static boolean isDead(Node n) {
    return (boolean) DEAD.getAcquire(n);
  }

  /**
   * A tree node. Immutable once constructed except for {@link #dead}, which goes from false to true
   * once, when a writer replaces the node.
   */
  static final class Node {
    final boolean leaf;

    /** Index of the last used slot ({@code ma_data_end()}). */
    final int end;

    /**
     * The pivots, as fields rather than an array, so that a lookup reads them from the node itself
     * (one object per level, not two): {@code p<i>} is the last index of slot i, for i below {@code
     * end}; the unused ones (all above {@code ARANGE_SLOTS - 2} in an internal node) hold -1L
     * ({@code ULONG_MAX}), so that {@link #slotOf} needs no bound. Read by index with {@link
     * #pivot(int)}.
     */
    final long p0;

    final long p1;
    final long p2;
    final long p3;
    final long p4;
    final long p5;
    final long p6;
    final long p7;
    final long p8;
    final long p9;
    final long p10;
    final long p11;
    final long p12;
    final long p13;
    final long p14;

    /** Entries (leaf) or children (internal); slots above {@code end} are null. */
    final Object[] slots;

    /** Internal nodes: largest gap length under each child; null for leaves. */
    final long[] gaps;

    /** Largest gap length in this subtree (saturating). */
    final long maxGap;

    /** The last index this node covers (the parent's pivot, or -1L at the root). */
    final long max;

    /** Set (release) once the node is replaced; read with acquire. Accessed through DEAD. */
    @SuppressWarnings("unused")
    boolean dead;

    private Node(
        boolean leaf,
        long[] pivots,
        int from,
        Object[] slots,
        long[] gaps,
        int count,
        long maxGap,
        long max) {
      // Unused pivots hold -1L (ULONG_MAX), so that slotOf() can count without knowing end.
      int used = count - 1;
      this.p0 = pv(pivots, from, 0, used);
      this.p1 = pv(pivots, from, 1, used);
      this.p2 = pv(pivots, from, 2, used);
      this.p3 = pv(pivots, from, 3, used);
      this.p4 = pv(pivots, from, 4, used);
      this.p5 = pv(pivots, from, 5, used);
      this.p6 = pv(pivots, from, 6, used);
      this.p7 = pv(pivots, from, 7, used);
      this.p8 = pv(pivots, from, 8, used);
      this.p9 = pv(pivots, from, 9, used);
      this.p10 = pv(pivots, from, 10, used);
      this.p11 = pv(pivots, from, 11, used);
      this.p12 = pv(pivots, from, 12, used);
      this.p13 = pv(pivots, from, 13, used);
      this.p14 = pv(pivots, from, 14, used);
      this.leaf = leaf;
      this.end = count - 1;
      this.slots = slots;
      this.gaps = gaps;
      this.maxGap = maxGap;
      this.max = max;
    }

    private static long pv(long[] pivots, int from, int k, int used) {
      return k < used ? pivots[from + k] : -1L;
    }

    /** Pivot {@code i} (0 to 14): the last index of slot i, or -1L above {@code end - 1}. */
    long pivot(int i) {
      return switch (i) {
        case 0 -> p0;
        case 1 -> p1;
        case 2 -> p2;
        case 3 -> p3;
        case 4 -> p4;
        case 5 -> p5;
        case 6 -> p6;
        case 7 -> p7;
        case 8 -> p8;
        case 9 -> p9;
        case 10 -> p10;
        case 11 -> p11;
        case 12 -> p12;
        case 13 -> p13;
        case 14 -> p14;
        default -> throw new IllegalArgumentException("pivot index out of range: " + i);
      };
    }

    /** A leaf whose pivots are {@code pivots[from .. from + count - 2]}. */
    static Node leaf(long[] pivots, int from, Object[] slots, int count, long min, long max) {
      Object[] s = slots.length == LEAF_SLOTS ? slots : new Object[LEAF_SLOTS];
      if (s != slots) {
        System.arraycopy(slots, 0, s, 0, slots.length);
      }
      long maxGap = 0;
      for (int i = 0; i < count; i++) {
        if (s[i] == null) {
          long cmin = i == 0 ? min : pivots[from + i - 1] + 1;
          long cmax = i == count - 1 ? max : pivots[from + i];
          long len = gapLength(cmin, cmax);
          if (Long.compareUnsigned(len, maxGap) > 0) {
            maxGap = len;
          }
        }
      }
      return new Node(true, pivots, from, s, null, count, maxGap, max);
    }

    /** An internal node whose pivots are {@code pivots[from .. from + count - 2]}. */
    static Node internal(
        long[] pivots, int from, Object[] slots, long[] gaps, int count, long max) {
      long maxGap = 0;
      for (int i = 0; i < count; i++) {
        if (Long.compareUnsigned(gaps[i], maxGap) > 0) {
          maxGap = gaps[i];
        }
      }
      return new Node(false, pivots, from, slots, gaps, count, maxGap, max);
    }
  }

  private static final VarHandle ROOT;
  private static final VarHandle SIZE;
  private static final VarHandle DEAD;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      ROOT = lookup.findVarHandle(MapleTree.class, "root", Node.class);
      SIZE = lookup.findVarHandle(MapleTree.class, "size", int.class);
      DEAD = lookup.findVarHandle(Node.class, "dead", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    Objects.requireNonNull(ROOT);
  }
}
