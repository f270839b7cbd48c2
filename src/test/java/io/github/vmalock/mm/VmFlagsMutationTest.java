package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@link VmFlags#toString(long)}: every letter of the {@code /proc/pid/maps} permission column
 * depends on its own bit only (pinned for the mutation run, docs/mutation-testing.md).
 */
class VmFlagsMutationTest {

  @Test
  @DisplayName(
      "toString gives r/w/x/- and s/p from exactly the matching bit, for all 16 combinations")
  void permissionColumn() {
    long[] bits = {VmFlags.VM_READ, VmFlags.VM_WRITE, VmFlags.VM_EXEC, VmFlags.VM_SHARED};
    for (int mask = 0; mask < 16; mask++) {
      long flags = 0L;
      StringBuilder want = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        boolean set = (mask & (1 << i)) != 0;
        if (set) {
          flags |= bits[i];
        }
        want.append(set ? "rwxs".charAt(i) : "---p".charAt(i));
      }
      assertThat(VmFlags.toString(flags)).as("flags %#x", flags).isEqualTo(want.toString());
      // bits other than the four do not change the column
      assertThat(VmFlags.toString(flags | VmFlags.VM_MIXEDMAP | VmFlags.VM_LOCKED))
          .as("flags %#x with other bits", flags)
          .isEqualTo(want.toString());
    }
  }
}
