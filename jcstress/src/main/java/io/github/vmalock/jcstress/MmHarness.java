package io.github.vmalock.jcstress;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmAreaCache;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.variants.ProtocolVariant;
import java.util.function.IntSupplier;

/**
 * Shared constants and small helpers of the mm harnesses.
 *
 * <p>Every harness state builds its own {@link MmStruct} on its own {@link VmAreaCache}, so that a
 * {@code VmArea} freed by one state's actor is never handed to another state's mm (the cache
 * recycles at once, last freed first reused, as {@code SLAB_TYPESAFE_BY_RCU} allows). The mms are
 * built without an explicit variant, so the system property {@code vmalock.variant} selects the
 * protocol under test (the kill matrix passes it with {@code -jvmArgsPrepend}).
 */
final class MmHarness {

  /** One page, the model's allocation granule. */
  static final long PAGE = 4096;

  /** The address the harnesses race on (4 MiB, far from everything else). */
  static final long A = 0x40_0000L;

  /** A second address, for a VMA recycled at another range (8 MiB). */
  static final long B = 0x80_0000L;

  /** {@code VM_READ}. */
  static final long R = VmFlags.VM_READ;

  /** {@code VM_READ | VM_WRITE}. */
  static final long RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /**
   * {@code VM_REFCNT_EXCLUDE_READERS_FLAG}: set in {@code vm_refcnt} while readers are excluded.
   */
  static final int EXCLUDE_READERS_FLAG = 1 << 30;

  /**
   * Bound on the spins an actor spends waiting for the other actor. A wait that times out only
   * makes the interleaving less interesting; it never turns into a FORBIDDEN outcome.
   */
  static final int SPIN_LIMIT = 1 << 16;

  /**
   * How long a looping reader's attempt counter must stand still before a writer takes the reader
   * for stalled (preempted, or held up) inside its attempt: 20 microseconds, some hundred times an
   * uncontended {@code lockVmaUnderRcu}, far below a scheduler time slice.
   */
  static final long STALL_NANOS = 20_000;

  /** Bound on a writer's wait for a reader stall: 500 microseconds per state. */
  static final long STALL_WAIT_NANOS = 500_000;

  private MmHarness() {}

  /**
   * Waits until a looping reader stalls inside an attempt: its attempt counter (bumped before each
   * attempt) is positive and has not moved for {@link #STALL_NANOS}, or until {@link
   * #STALL_WAIT_NANOS} have passed.
   *
   * <p>The lock-free lookups' races need the reader held up between its tree walk and its refcount
   * increment while the writer changes the VMA: a window of some nanoseconds that only a preemption
   * (or an unlucky cache miss) widens. A writer that acts as soon as the reader stalls, and then
   * leaves the changed layout in place, turns every stall inside that window into an observation,
   * where a writer acting at a random moment needs the stall and its own step to coincide. Timing
   * out only makes the state an ordinary, uninteresting interleaving.
   *
   * @param attempts reads the reader's attempt counter (a volatile field)
   * @return whether a stall was seen
   */
  static boolean awaitReaderStall(IntSupplier attempts) {
    long start = System.nanoTime();
    long since = start;
    int last = attempts.getAsInt();
    for (; ; ) {
      Thread.onSpinWait();
      long now = System.nanoTime();
      int a = attempts.getAsInt();
      if (a != last) {
        last = a;
        since = now;
      } else if (a > 0 && now - since >= STALL_NANOS) {
        return true;
      }
      if (now - start >= STALL_WAIT_NANOS) {
        return false;
      }
    }
  }

  /**
   * {@code mmap_write_lock}; {@code vma_start_write} on the VMA covering {@code addr}; runs {@code
   * whileLocked}; {@code mmap_write_unlock} (also when {@code whileLocked} throws).
   *
   * <p>Blocks in {@code mmap_write_lock} and, while readers hold the VMA, in {@code
   * vma_start_write}.
   *
   * @return what {@code whileLocked} returned
   * @throws IllegalStateException if no VMA covers {@code addr}
   */
  static int withVmaWriteLocked(MmStruct mm, long addr, IntSupplier whileLocked) {
    mm.mmapWriteLock();
    try {
      VmArea vma = mm.vmaLookup(addr);
      if (vma == null) {
        throw new IllegalStateException("no VMA at 0x" + Long.toHexString(addr));
      }
      vma.startWrite();
      return whileLocked.getAsInt();
    } finally {
      mm.mmapWriteUnlock();
    }
  }

  /**
   * {@code mmap_write_lock}; {@code vma_start_write} on the VMA covering {@code addr} (waits for
   * its readers to leave); {@code mmap_write_unlock}.
   *
   * @throws IllegalStateException if no VMA covers {@code addr}
   */
  static void writeLockVma(MmStruct mm, long addr) {
    withVmaWriteLocked(mm, addr, () -> 0);
  }

  /**
   * Holds the VMA covering {@code addr} write-locked until another thread queues on {@code
   * mmap_lock} (a reader whose lock-free fast path failed on that VMA and fell back to the mmap
   * lock), at most {@link #SPIN_LIMIT} spins; then releases the mmap write lock.
   *
   * @return whether a waiter was seen
   */
  static boolean holdVmaWriteLockedUntilMmapLockWaiter(MmStruct mm, long addr) {
    return withVmaWriteLocked(mm, addr, () -> awaitMmapLockWaiter(mm) ? 1 : 0) != 0;
  }

  /** A fresh mm with a cache of its own; the variant comes from {@code vmalock.variant}. */
  static MmStruct newMm() {
    return newMm(new VmAreaCache());
  }

  /** A fresh mm on {@code cache} running {@link #PROTOCOL}. */
  static MmStruct newMm(VmAreaCache cache) {
    return MmStruct.builder().cache(cache).protocol(PROTOCOL).build();
  }

  /**
   * The protocol the harnesses run: a user's class named by the system property {@code
   * vmalock.protocol} (a public {@link VmaLockProtocol} with a public no-argument constructor, on
   * the harness class path), else the {@link ProtocolVariant} named by {@code vmalock.variant},
   * else the faithful one. The library reads neither property.
   */
  static final VmaLockProtocol PROTOCOL = protocolFromSystemProperties();

  private static VmaLockProtocol protocolFromSystemProperties() {
    String name = System.getProperty("vmalock.protocol");
    if (name == null || name.isEmpty()) {
      return ProtocolVariant.fromSystemProperty().protocol();
    }
    try {
      return Class.forName(name).asSubclass(VmaLockProtocol.class).getConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException("vmalock.protocol=" + name + ": " + e, e);
    }
  }

  /**
   * The number of references in {@code vma}'s {@code vm_refcnt} below the exclude-readers flag: the
   * attach reference plus one per reader. A reader holding a read reference on an attached VMA
   * always sees at least 2; 1 means it holds the only reference, so the VMA is detached.
   */
  static int references(VmArea vma) {
    return vma.refcnt() & (EXCLUDE_READERS_FLAG - 1);
  }

  /**
   * Checks what a reader holding a read reference on {@code vma} may rely on: attached, covering
   * {@code addr}, belonging to {@code mm}, and not holding {@code mmap_lock}.
   *
   * @return 0 when all hold, else a bit set: 2 detached, 4 not covering {@code addr}, 8 another mm,
   *     16 {@code mmap_lock} held on return
   */
  static int checkHeld(MmStruct mm, VmArea vma, long addr) {
    int bad = 0;
    if (references(vma) < 2) {
      bad |= 2;
    }
    if (!(vma.start() <= addr && addr < vma.end())) {
      bad |= 4;
    }
    if (vma.mm() != mm) {
      bad |= 8;
    }
    if (mm.mmapLock().getReadHoldCount() != 0 || mm.mmapLock().isWriteLockedByCurrentThread()) {
      bad |= 16;
    }
    return bad;
  }

  /**
   * Spins until another thread waits for {@code mm}'s {@code mmap_lock}, at most {@link
   * #SPIN_LIMIT} times.
   *
   * @return whether a waiter was seen
   */
  static boolean awaitMmapLockWaiter(MmStruct mm) {
    for (int i = 0; i < SPIN_LIMIT; i++) {
      if (mm.mmapLock().hasQueuedThreads()) {
        return true;
      }
      Thread.onSpinWait();
    }
    return false;
  }

  /**
   * Runs {@code mm.assertQuiescent()} (mmap lock free, every VMA's {@code vm_refcnt} back to 1).
   *
   * @return 0 when quiescent, 1 when a lock or a read reference leaked
   */
  static int quiescent(MmStruct mm) {
    try {
      mm.assertQuiescent();
      return 0;
    } catch (IllegalStateException e) {
      return 1;
    }
  }
}
