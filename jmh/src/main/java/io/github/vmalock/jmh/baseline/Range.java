package io.github.vmalock.jmh.baseline;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A range {@code [start, end)} of the Java baselines: the found value is itself the refcount (an
 * {@code AtomicInteger}), as {@code vm_refcnt} sits inside the VMA; no extra indirection. The
 * benchmarks' bare maple tree ({@code MAPLE_LOAD}) stores the same objects, so the bare walk and
 * the baselines land on objects of one shape.
 */
public final class Range extends AtomicInteger {
  private static final long serialVersionUID = 1L;

  /** First address. */
  public final long start;

  /** One past the last address. */
  public final long end;

  /**
   * A range with its refcount at 1 (the reference the index holds).
   *
   * @param start first address
   * @param end one past the last address
   */
  public Range(long start, long end) {
    super(1);
    this.start = start;
    this.end = end;
  }
}
