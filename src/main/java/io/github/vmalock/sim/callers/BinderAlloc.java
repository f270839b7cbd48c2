package io.github.vmalock.sim.callers;

import io.github.vmalock.sim.world.PageTable;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The part of binder's {@code struct binder_alloc} the callers need: {@code alloc->mutex} (taken
 * only with {@code mutex_trylock} by the shrinker) and {@code binder_alloc_is_mapped()}. Binder's
 * buffer pages live in the layout's anonymous slots; their "installed" state is the {@link
 * PageTable} bit.
 */
public final class BinderAlloc {
  private final ReentrantLock mutex = new ReentrantLock();
  private volatile boolean mapped = true;

  /** Creates an alloc whose buffer is mapped. */
  public BinderAlloc() {}

  /**
   * {@code alloc->mutex}.
   *
   * @return the mutex
   */
  public ReentrantLock mutex() {
    return mutex;
  }

  /**
   * {@code binder_alloc_is_mapped()}.
   *
   * @return whether the buffer is mapped
   */
  public boolean isMapped() {
    return mapped;
  }

  /**
   * Sets the mapped state ({@code binder_alloc_vma_close} clears it).
   *
   * @param mapped the new state
   */
  public void setMapped(boolean mapped) {
    this.mapped = mapped;
  }
}
