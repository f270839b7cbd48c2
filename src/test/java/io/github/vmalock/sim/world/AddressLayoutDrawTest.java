package io.github.vmalock.sim.world;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("AddressLayout.drawAddress: one draw, every slot and page reached, nothing outside")
class AddressLayoutDrawTest {

  @Test
  @DisplayName("every page of every slot, hole included, is drawn; the slot matches slotOf")
  void coversEveryPageAndAgreesWithSlotOf() {
    AddressLayout layout = new AddressLayout(24);
    int pagesPerSlot = AddressLayout.SLOT_PAGES + 1;
    long[] hits = new long[layout.slots() * pagesPerSlot];
    SplittableRandom rnd = new SplittableRandom(3);
    int n = 400_000;
    int writes = 0;
    for (int i = 0; i < n; i++) {
      long r = rnd.nextLong();
      long addr = layout.drawAddress(r);
      assertThat(addr).isBetween(AddressLayout.BASE, layout.limit() - 1);
      int slot = layout.drawSlot(r);
      assertThat(layout.slotOf(addr)).isEqualTo(slot);
      hits[(int) ((addr - AddressLayout.BASE) / AddressLayout.PAGE)]++;
      if (AddressLayout.drawBit(r)) {
        writes++;
      }
    }
    double expected = (double) n / hits.length;
    for (int p = 0; p < hits.length; p++) {
      // ~980 expected per page: 25% off would be a broken mapping, not chance (sd ~31).
      assertThat((double) hits[p]).as("page %d", p).isBetween(expected * 0.75, expected * 1.25);
    }
    assertThat(writes).isBetween(n / 2 - 5_000, n / 2 + 5_000);
  }

  @Test
  @DisplayName("the offset inside the page is the draw's low 12 bits")
  void offsetIsLowBits() {
    AddressLayout layout = new AddressLayout(8);
    long r = 0x1234_5678_0000_0ABCL;
    assertThat(layout.drawAddress(r) & (AddressLayout.PAGE - 1)).isEqualTo(0xABC);
  }

  @Test
  @DisplayName("drawMappedAddress reaches every page of every slot and never a hole")
  void mappedAddressNeverInAHole() {
    AddressLayout layout = new AddressLayout(24);
    long[] hits = new long[layout.slots() * AddressLayout.SLOT_PAGES];
    SplittableRandom rnd = new SplittableRandom(5);
    int n = 400_000;
    for (int i = 0; i < n; i++) {
      long r = rnd.nextLong();
      long addr = layout.drawMappedAddress(r);
      int slot = layout.drawSlot(r);
      assertThat(addr).as("draw %x", r).isBetween(layout.slotStart(slot), layout.slotEnd(slot) - 1);
      long page = (addr - layout.slotStart(slot)) / AddressLayout.PAGE;
      hits[slot * AddressLayout.SLOT_PAGES + (int) page]++;
    }
    double expected = (double) n / hits.length;
    for (int p = 0; p < hits.length; p++) {
      // ~1040 expected per page (sd ~32): 25% off is a broken mapping, not chance.
      assertThat((double) hits[p]).as("page %d", p).isBetween(expected * 0.75, expected * 1.25);
    }
    // The extreme draws land on the first and the last page of a slot, not past it.
    assertThat(layout.drawMappedAddress(-1L)).isEqualTo(layout.slotEnd(layout.slots() - 1) - 1);
    assertThat(layout.drawMappedAddress(0L)).isEqualTo(AddressLayout.BASE);
  }
}
