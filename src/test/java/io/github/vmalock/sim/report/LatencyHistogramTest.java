package io.github.vmalock.sim.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName(
    "LatencyHistogram: percentiles within 1% of the exact ones; count, min, max, mean exact")
class LatencyHistogramTest {

  @Test
  @DisplayName("against the sorted values of a heavy-tailed sample")
  void percentilesAgainstExact() {
    SplittableRandom rnd = new SplittableRandom(11);
    int n = 200_000;
    long[] v = new long[n];
    LatencyHistogram h = new LatencyHistogram();
    long sum = 0;
    for (int i = 0; i < n; i++) {
      // log-uniform from 1 ns to about 17 s: every bucket range is exercised
      v[i] = (long) Math.exp(rnd.nextDouble() * Math.log(1.7e10));
      h.record(v[i]);
      sum += v[i];
    }
    Arrays.sort(v);
    assertThat(h.totalCount()).isEqualTo(n);
    assertThat(h.min()).isEqualTo(v[0]);
    assertThat(h.max()).isEqualTo(v[n - 1]);
    assertThat(h.mean()).isCloseTo((double) sum / n, within(1e-6));
    for (double p : new double[] {0, 1, 10, 50, 90, 99, 99.9, 99.99, 100}) {
      long exact = v[(int) Math.max(0, Math.ceil(p / 100 * n) - 1)];
      long got = h.valueAtPercentile(p);
      assertThat(got).as("p%s", p).isGreaterThanOrEqualTo(exact).isLessThanOrEqualTo(h.max());
      assertThat((double) got).as("p%s", p).isLessThanOrEqualTo(exact * 1.008 + 1);
    }
  }

  @Test
  @DisplayName("small values are exact; bucket bounds tile the long range")
  void bucketsTileTheRange() {
    for (long x = 0; x < 256; x++) {
      assertThat(LatencyHistogram.highestOf(LatencyHistogram.indexOf(x))).isEqualTo(x);
    }
    int last = LatencyHistogram.indexOf(Long.MAX_VALUE);
    for (int i = 1; i <= last; i++) {
      assertThat(LatencyHistogram.lowestOf(i)).isEqualTo(LatencyHistogram.highestOf(i - 1) + 1);
      assertThat(LatencyHistogram.indexOf(LatencyHistogram.lowestOf(i))).isEqualTo(i);
      assertThat(LatencyHistogram.indexOf(LatencyHistogram.highestOf(i))).isEqualTo(i);
    }
    assertThat(LatencyHistogram.highestOf(last)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  @DisplayName("add merges counts, extremes and mean; adding an empty one changes nothing")
  void addMerges() {
    LatencyHistogram a = new LatencyHistogram();
    LatencyHistogram b = new LatencyHistogram();
    a.record(10);
    a.record(3_000_000);
    b.record(5);
    b.record(7_000);
    a.add(b);
    a.add(new LatencyHistogram());
    assertThat(a.totalCount()).isEqualTo(4);
    assertThat(a.min()).isEqualTo(5);
    assertThat(a.max()).isEqualTo(3_000_000);
    assertThat(a.mean()).isEqualTo((10 + 3_000_000 + 5 + 7_000) / 4.0);
    assertThat(a.countBetween(1_000_000, Long.MAX_VALUE)).isEqualTo(1);
    assertThat(a.countBetween(0, 10)).isEqualTo(2);
    assertThat(b.totalCount()).as("the added histogram is unchanged").isEqualTo(2);
    a.add(a);
    assertThat(a.totalCount()).isEqualTo(8);
  }

  @Test
  @DisplayName("empty: zeros; bad input names the problem and leaves the histogram as it was")
  void emptyAndBadInput() {
    LatencyHistogram h = new LatencyHistogram();
    assertThat(h.valueAtPercentile(99)).isZero();
    assertThat(h.max()).isZero();
    assertThat(h.min()).isZero();
    assertThat(h.mean()).isZero();
    h.record(42);
    assertThatThrownBy(() -> h.record(-1)).hasMessageContaining("negative");
    assertThatThrownBy(() -> h.valueAtPercentile(100.5)).hasMessageContaining("percentile");
    assertThatThrownBy(() -> h.valueAtPercentile(Double.NaN)).hasMessageContaining("percentile");
    assertThatThrownBy(() -> h.countBetween(5, 4)).hasMessageContaining("low <= high");
    assertThatThrownBy(() -> h.add(null)).hasMessageContaining("null");
    assertThat(h.totalCount()).isEqualTo(1);
    assertThat(h.valueAtPercentile(50)).isEqualTo(42);
  }
}
