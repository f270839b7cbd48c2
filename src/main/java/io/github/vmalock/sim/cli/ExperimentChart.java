package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.experiment.ExperimentResult;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** The experiments' PNG charts (JFreeChart, headless). */
final class ExperimentChart {
  private ExperimentChart() {}

  /** One experiment: its chart series by world. */
  static void write(ExperimentResult r, File file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Map.Entry<String, Map<String, Double>> s : r.chart().entrySet()) {
      for (Map.Entry<String, Double> v : s.getValue().entrySet()) {
        data.addValue(v.getValue(), s.getKey(), v.getKey());
      }
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "vmalock-sim " + r.name(),
            "",
            r.chartAxis(),
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    ChartUtils.saveChartAsPNG(file, chart, 1000, 600);
  }

  /** The summary: published ratio against the model's, per experiment. */
  static void writeSummary(List<ExperimentResult> results, File file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (ExperimentResult r : results) {
      if (!Double.isNaN(r.published().value())) {
        data.addValue(r.published().value(), "published", r.name());
      }
      data.addValue(r.model().median(), "model", r.name());
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "vmalock-sim experiments: headline ratio, published and model",
            "experiment",
            "ratio between worlds (x)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    ChartUtils.saveChartAsPNG(file, chart, 1000, 600);
  }
}
