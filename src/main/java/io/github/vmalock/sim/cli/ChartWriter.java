package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.RunResult;
import io.github.vmalock.sim.report.CallerResult;
import java.io.File;
import java.io.IOException;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Renders the comparison chart of {@code --chart FILE.png}: ops/s per caller, one bar per world.
 */
final class ChartWriter {
  private ChartWriter() {}

  static void write(List<RunResult> results, File file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (RunResult r : results) {
      for (CallerResult c : r.callers()) {
        data.addValue(
            c.opsPerSecond(r.elapsedNanos()), r.workload().world().label(), c.kind().label());
      }
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "vmalock-sim: operations per second by caller and world",
            "caller",
            "operations / s",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    ChartUtils.saveChartAsPNG(file, chart, 1000, 600);
  }
}
