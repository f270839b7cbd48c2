package io.github.vmalock.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SeedV2Replay: replay seed-v2")
class SeedV2ReplayTest {

  @Test
  @DisplayName("every v2 shape is caught and every corrected shape passes")
  void replay() {
    SeedV2Replay.Result r = new SeedV2Replay(Duration.ofMillis(300)).run();
    assertThat(r.cases()).isNotEmpty();
    for (SeedV2Replay.Case c : r.cases()) {
      assertThat(c.ok()).as(c.defect() + " [" + c.shape() + "]: " + c.observed()).isTrue();
      assertThat(c.verdict()).isIn("CAUGHT", "PASS");
    }
    assertThat(r.cases()).anyMatch(c -> c.shape().equals("v2"));
    assertThat(r.cases()).anyMatch(c -> c.shape().equals("corrected"));
    assertThat(r.allAsExpected()).isTrue();
  }
}
