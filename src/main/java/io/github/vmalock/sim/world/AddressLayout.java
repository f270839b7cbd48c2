package io.github.vmalock.sim.world;

import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import io.github.vmalock.mm.VmFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated process's address space: {@code slots} mappings of {@link #SLOT_PAGES} pages each,
 * separated by one-page holes that no writer ever maps, so slots never merge with each other while
 * writers split and re-merge the mappings inside a slot.
 *
 * <p>Slot kinds, by index modulo 8: 5 is a TCP receive mapping ({@code r--s}: the model has no
 * {@code vm_ops}, so a shared read-only mapping plays {@code vma->vm_ops == &tcp_vm_ops}); 7 is a
 * sentinel text mapping ({@code r-xp}) that writers never touch, so a {@code /proc/pid/maps} reader
 * must always report it whole; the others are anonymous {@code rw-p} memory.
 */
public final class AddressLayout {
  /** Page size of the model. */
  public static final long PAGE = 4096;

  /** Pages per slot. */
  public static final int SLOT_PAGES = 16;

  /** Where the first slot starts. */
  public static final long BASE = 0x10_0000_0000L;

  /** The smallest number of slots: one of each kind. */
  public static final int MIN_SLOTS = 8;

  /** Flags of a TCP zerocopy receive mapping in the model. */
  public static final long TCP_FLAGS = VmFlags.VM_READ | VmFlags.VM_SHARED;

  /** Flags of a sentinel text mapping. */
  public static final long TEXT_FLAGS = VmFlags.VM_READ | VmFlags.VM_EXEC;

  /** Flags of anonymous memory. */
  public static final long ANON_FLAGS = VmFlags.VM_READ | VmFlags.VM_WRITE;

  /** What a slot holds. */
  public enum Kind {
    /** Anonymous read-write memory, churned by writers. */
    ANON,
    /** A TCP zerocopy receive mapping, churned by mmap/munmap (never mprotect). */
    TCP,
    /** Text that writers never touch. */
    TEXT
  }

  private final int slots;
  private final int[] anon;
  private final int[] tcp;
  private final int[] text;
  private final int[] churned;

  /**
   * Creates a layout.
   *
   * @param slots number of slots (initial VMAs), at least {@link #MIN_SLOTS}
   * @throws IllegalArgumentException if {@code slots} is out of range
   */
  public AddressLayout(int slots) {
    if (slots < MIN_SLOTS || slots > 100_000) {
      throw new IllegalArgumentException(
          "number of VMAs must be between " + MIN_SLOTS + " and 100000, was " + slots);
    }
    this.slots = slots;
    List<Integer> a = new ArrayList<>();
    List<Integer> t = new ArrayList<>();
    List<Integer> x = new ArrayList<>();
    for (int i = 0; i < slots; i++) {
      switch (kind(i)) {
        case ANON -> a.add(i);
        case TCP -> t.add(i);
        case TEXT -> x.add(i);
      }
    }
    anon = toArray(a);
    tcp = toArray(t);
    text = toArray(x);
    List<Integer> c = new ArrayList<>(a);
    c.addAll(t);
    churned = toArray(c);
  }

  private static int[] toArray(List<Integer> l) {
    int[] r = new int[l.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = l.get(i);
    }
    return r;
  }

  /**
   * Number of slots.
   *
   * @return the slot count
   */
  public int slots() {
    return slots;
  }

  /**
   * The kind of a slot.
   *
   * @param slot slot index
   * @return its kind
   */
  public static Kind kind(int slot) {
    return switch (slot % 8) {
      case 5 -> Kind.TCP;
      case 7 -> Kind.TEXT;
      default -> Kind.ANON;
    };
  }

  /**
   * The flags a slot is mapped with.
   *
   * @param slot slot index
   * @return VM flags
   */
  public static long flags(int slot) {
    return switch (kind(slot)) {
      case ANON -> ANON_FLAGS;
      case TCP -> TCP_FLAGS;
      case TEXT -> TEXT_FLAGS;
    };
  }

  /**
   * First address of a slot.
   *
   * @param slot slot index
   * @return its start address
   */
  public long slotStart(int slot) {
    return BASE + (long) slot * (SLOT_PAGES + 1) * PAGE;
  }

  /**
   * End (exclusive) of a slot; the page at this address is a hole that stays unmapped.
   *
   * @param slot slot index
   * @return its end address
   */
  public long slotEnd(int slot) {
    return slotStart(slot) + SLOT_PAGES * PAGE;
  }

  /**
   * End of the whole layout (after the last hole).
   *
   * @return one past the last address a caller may touch
   */
  public long limit() {
    return slotStart(slots);
  }

  /**
   * Maps every slot. Context: the caller holds no lock of {@code mm}; each {@code mmap} takes the
   * mmap write lock.
   *
   * @param mm an empty mm
   */
  public void populate(MmStruct mm) {
    for (int i = 0; i < slots; i++) {
      mm.mmap(slotStart(i), SLOT_PAGES * PAGE, flags(i));
    }
  }

  /**
   * The sentinel text slots, which must appear whole in every {@code /proc/pid/maps} scan.
   *
   * @return slot indices of kind {@link Kind#TEXT}
   */
  public int[] textSlots() {
    return text.clone();
  }

  /**
   * A page address in a random slot of the given kind (any slot when none of that kind exists);
   * about one in {@code SLOT_PAGES + 1} picks is the hole after the slot.
   *
   * @param rnd the calling thread's random source
   * @param kind wanted kind, or null for any slot
   * @return a page-aligned address
   */
  public long pickAddress(SplittableRandom rnd, Kind kind) {
    int slot = pickSlot(rnd, kind);
    return slotStart(slot) + rnd.nextInt(SLOT_PAGES + 1) * PAGE;
  }

  /**
   * A uniformly random byte address anywhere in the layout (a slot's pages or its trailing hole),
   * from one 64-bit draw: bits 32-63 pick the slot and bits 12-30 the page by multiply-shift
   * (Lemire), bits 0-11 the offset in the page, so that no division is spent on it. The bias of the
   * multiply-shift is below {@code slots / 2^32} and {@code 17 / 2^19}: far under what a run can
   * observe. Bit 31 is left for the caller ({@link #drawBit}).
   *
   * @param r a random 64-bit value
   * @return the address
   */
  public long drawAddress(long r) {
    int slot = drawSlot(r);
    long page = (((r >>> 12) & 0x7FFFF) * (SLOT_PAGES + 1)) >>> 19;
    return slotStart(slot) + page * PAGE + (r & (PAGE - 1));
  }

  /**
   * A uniformly random byte address in a slot's own pages, never in the hole after it, from one
   * 64-bit draw laid out as in {@link #drawAddress} (bits 32-63 the slot, bits 12-30 the page, bits
   * 0-11 the offset; bit 31 left for {@link #drawBit}). This is where a program faults: on memory
   * it mapped (the pft benchmark touches only its own mapping); a fault on an unmapped page is a
   * {@code SIGSEGV}, which a running program takes only when another thread unmapped the page under
   * it, and that still happens here whenever a writer has unmapped part of a slot.
   *
   * @param r a random 64-bit value
   * @return the address, inside {@code [slotStart(drawSlot(r)), slotEnd(drawSlot(r)))}
   */
  public long drawMappedAddress(long r) {
    int slot = drawSlot(r);
    long page = (((r >>> 12) & 0x7FFFF) * SLOT_PAGES) >>> 19;
    return slotStart(slot) + page * PAGE + (r & (PAGE - 1));
  }

  /**
   * The slot {@link #drawAddress} or {@link #drawMappedAddress} picked from the same draw.
   *
   * @param r the 64-bit value given to {@link #drawAddress} or {@link #drawMappedAddress}
   * @return the slot index
   */
  public int drawSlot(long r) {
    return (int) (((r >>> 32) * slots) >>> 32);
  }

  /**
   * A random bit of the same draw that {@link #drawAddress} does not use.
   *
   * @param r the 64-bit value given to {@link #drawAddress}
   * @return bit 31 of {@code r}
   */
  public static boolean drawBit(long r) {
    return (r & (1L << 31)) != 0;
  }

  /**
   * The slot an address falls in (its trailing hole included).
   *
   * @param addr an address inside the layout
   * @return the slot index
   * @throws IllegalArgumentException if the address is outside the layout
   */
  public int slotOf(long addr) {
    if (addr < BASE || addr >= limit()) {
      throw new IllegalArgumentException("address outside the layout: 0x" + Long.toHexString(addr));
    }
    return (int) ((addr - BASE) / ((SLOT_PAGES + 1) * PAGE));
  }

  /**
   * A random slot of the given kind.
   *
   * @param rnd random source
   * @param kind wanted kind, or null for any
   * @return slot index
   */
  public int pickSlot(SplittableRandom rnd, Kind kind) {
    int[] pool =
        kind == null
            ? null
            : switch (kind) {
              case ANON -> anon;
              case TCP -> tcp;
              case TEXT -> text;
            };
    if (pool == null || pool.length == 0) {
      return rnd.nextInt(slots);
    }
    return pool[rnd.nextInt(pool.length)];
  }

  /**
   * A random slot that writers may change (anonymous or TCP).
   *
   * @param rnd random source
   * @return slot index
   */
  public int pickChurnedSlot(SplittableRandom rnd) {
    return churned[rnd.nextInt(churned.length)];
  }

  /**
   * Walks the mm's VMAs in address order under the mmap read lock. Context: the caller holds no
   * lock of {@code mm}; may block on the mmap lock.
   *
   * @param mm the mm
   * @return the VMAs at the time of the walk
   */
  public static List<VmArea> vmas(MmStruct mm) {
    List<VmArea> out = new ArrayList<>();
    mm.mmapReadLock();
    try {
      VmArea v = mm.findVma(0);
      while (v != null) {
        out.add(v);
        v = mm.findVma(v.end());
      }
    } finally {
      mm.mmapReadUnlock();
    }
    return out;
  }
}
