package io.github.vmalock.sim.callers;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.PageTable;
import io.github.vmalock.sim.world.World;

/**
 * What the callers of one run share: the mm, the world it models, the address layout, the page
 * table and the violation record, plus the checks every caller applies to a VMA it holds.
 *
 * @param mm the simulated process's mm
 * @param world the world (callers' shape and the mm's lock mode)
 * @param layout the address layout
 * @param pages the page table
 * @param violations where callers report what they saw
 * @param cost what callers spend while they hold their locks ({@link CostModel#NONE}: nothing)
 */
public record SimContext(
    MmStruct mm,
    World world,
    AddressLayout layout,
    PageTable pages,
    Violations violations,
    CostModel cost) {

  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException if any is null
   */
  public SimContext {
    if (mm == null
        || world == null
        || layout == null
        || pages == null
        || violations == null
        || cost == null) {
      throw new IllegalArgumentException("SimContext components must not be null");
    }
  }

  /**
   * A context without a cost model ({@link CostModel#NONE}).
   *
   * @param mm the mm
   * @param world the world
   * @param layout the layout
   * @param pages the page table
   * @param violations the violation record
   */
  public SimContext(
      MmStruct mm, World world, AddressLayout layout, PageTable pages, Violations violations) {
    this(mm, world, layout, pages, violations, CostModel.NONE);
  }

  /**
   * Creates a context with a fresh page table and violation record, without a cost model.
   *
   * @param mm the mm
   * @param world the world
   * @param layout the layout (already populated into {@code mm}, or about to be)
   * @return the context
   */
  public static SimContext of(MmStruct mm, World world, AddressLayout layout) {
    return of(mm, world, layout, CostModel.NONE);
  }

  /**
   * Creates a context with a fresh page table and violation record.
   *
   * @param mm the mm
   * @param world the world
   * @param layout the layout (already populated into {@code mm}, or about to be)
   * @param cost the cost model
   * @return the context
   */
  public static SimContext of(MmStruct mm, World world, AddressLayout layout, CostModel cost) {
    return new SimContext(mm, world, layout, new PageTable(layout), new Violations(), cost);
  }

  /** The fields of a VMA as seen when its lock was taken, to check they stay put while held. */
  record Snapshot(long start, long end, long pgoff, long flags) {}

  /**
   * Checks a VMA just returned locked for {@code addr} (by the VMA read lock or under {@code
   * mmap_lock}) against the forbidden outcomes F1-F4 of docs/invariants.md, and snapshots its
   * fields. Context: the caller holds the VMA read lock or {@code mmap_lock}.
   *
   * @param caller caller name for the report
   * @param vma the locked VMA
   * @param addr the address it was looked up for
   * @param vmaLocked true if held by the VMA read lock (then it must not be write-locked)
   * @return the snapshot for {@link #checkStable}
   */
  Snapshot checkLocked(String caller, VmArea vma, long addr, boolean vmaLocked) {
    long start = vma.start();
    long end = vma.end();
    if (addr < start || addr >= end) {
      violations.violation(
          caller, "F1: got VMA " + hex(start) + "-" + hex(end) + " not covering " + hex(addr));
    }
    if (vma.mm() != mm) {
      violations.violation(
          caller, "F3: got a VMA of another mm (recycled object) for " + hex(addr));
    }
    // Without per-VMA locks attach/detach do nothing (vm_refcnt stays 0): nothing to check.
    if (world.lockMode() == LockMode.PER_VMA && !vma.isAttached()) {
      violations.violation(caller, "F2: got a detached VMA for " + hex(addr));
    }
    if (vmaLocked && vma.isWriteLocked()) {
      violations.violation(caller, "F4: got a write-locked VMA " + hex(start) + "-" + hex(end));
    }
    return new Snapshot(start, end, vma.pgoff(), vma.flags());
  }

  /**
   * Checks that a VMA's fields did not change while the caller held it (I1: no writer got past
   * {@code vma_start_write} while a reader held the VMA; writers change a VMA only after
   * write-locking it). Context: the caller still holds the lock it took.
   *
   * @param caller caller name
   * @param vma the VMA
   * @param s the snapshot taken when the lock was taken
   */
  void checkStable(String caller, VmArea vma, Snapshot s) {
    if (vma.start() != s.start()
        || vma.end() != s.end()
        || vma.pgoff() != s.pgoff()
        || vma.flags() != s.flags()) {
      violations.violation(
          caller,
          "I1: VMA "
              + hex(s.start())
              + "-"
              + hex(s.end())
              + " changed to "
              + hex(vma.start())
              + "-"
              + hex(vma.end())
              + " while held");
    }
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }
}
