package io.github.vmalock.jmh.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The results chart: four bar charts in one PNG, rendered headless with JFreeChart from the rows of
 * one run. (a) the lookup's ns/op across VMA counts, the fast path beside the baselines, with the
 * floors as lines; (b) the reader's rate with and without the far-away writer; (c) one and two
 * readers' aggregate rate; (d) the writer's cycles at 64 and 65,536 VMAs.
 */
final class ResultsChart {
  private static final int PANEL_W = 900;
  private static final int PANEL_H = 600;
  private static final String[] SIZES = {"64", "4096", "65536"};
  private static final String[] IMPLS = {
    "PER_VMA", "PER_VMA_UNLOCKED", "MMAP_LOCK_ONLY", "CSLM", "STAMPED", "MAPLE_LOAD"
  };

  private final Bars rows;

  ResultsChart(Bars rows) {
    this.rows = rows;
  }

  /** Renders the four panels into {@code png}. */
  void write(Path png, String subtitle) throws IOException {
    BufferedImage img = new BufferedImage(2 * PANEL_W, 2 * PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, img.getWidth(), img.getHeight());
      List<JFreeChart> charts = List.of(lookups(), underWriter(), scaling(), writers());
      for (int i = 0; i < charts.size(); i++) {
        JFreeChart c = charts.get(i);
        c.addSubtitle(new TextTitle(subtitle, new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        c.draw(g, new Rectangle2D.Double((i % 2) * PANEL_W, (i / 2) * PANEL_H, PANEL_W, PANEL_H));
      }
    } finally {
      g.dispose();
    }
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ImageIO.write(img, "png", png.toFile());
  }

  private JFreeChart lookups() {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (String impl : IMPLS) {
      for (String size : SIZES) {
        Optional<JmhResult> r = rows.lookup(impl, size);
        if (r.isPresent()) {
          ds.addValue(r.get().nsPerOp(), impl, size + " VMAs");
        }
      }
    }
    JFreeChart c =
        bars("(a) Find + hold a VMA, 1 thread, no writer", "ns/op (lower is better)", ds, "0.0");
    CategoryPlot plot = c.getCategoryPlot();
    rows.find("VmaLookupBench.floorVolatileRead")
        .ifPresent(r -> floor(plot, r.nsPerOp(), "floor: volatile read", false));
    rows.find("VmaLookupBench.floorCas")
        .ifPresent(r -> floor(plot, r.nsPerOp(), "floor: uncontended CAS", true));
    return c;
  }

  /** A dashed line at a floor, labelled at the left or the right end so two never overlap. */
  private static void floor(CategoryPlot plot, double ns, String label, boolean right) {
    ValueMarker m =
        new ValueMarker(
            ns,
            Color.DARK_GRAY,
            new BasicStroke(
                1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
    m.setLabel(label + " " + Format.ns(ns) + " ns");
    m.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    m.setLabelAnchor(right ? RectangleAnchor.TOP_RIGHT : RectangleAnchor.TOP_LEFT);
    m.setLabelTextAnchor(right ? TextAnchor.BOTTOM_RIGHT : TextAnchor.BOTTOM_LEFT);
    plot.addRangeMarker(m);
  }

  private JFreeChart underWriter() {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    String size =
        rows.find("UnderWriterBench.underWriter:reader")
            .map(r -> r.params().get("size"))
            .orElse(Bars.BAR_SIZE);
    for (String impl : new String[] {"PER_VMA", "MMAP_LOCK_ONLY"}) {
      Optional<JmhResult> under =
          rows.find("UnderWriterBench.underWriter:reader", "impl", impl, "size", size);
      rows.lookup(impl, size)
          .ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "reader alone", impl));
      under.ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "reader beside the writer", impl));
      rows.find("UnderWriterBench.underWriter:writer", "impl", impl, "size", size)
          .ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "writer (mmap+munmap)", impl));
    }
    return bars(
        "(b) Reader under a writer mapping far away (" + size + " VMAs)",
        "M ops/s per thread (higher is better)",
        ds,
        "0.00");
  }

  private JFreeChart scaling() {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (String impl : new String[] {"PER_VMA", "MMAP_LOCK_ONLY"}) {
      rows.find("SameVmaSharingBench.oneThread", "impl", impl)
          .ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "1 reader", impl));
      rows.find("SameVmaSharingBench.twoThreads", "impl", impl, "sharing", "DIFFERENT_VMAS")
          .ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "2 readers, different VMAs", impl));
      rows.find("SameVmaSharingBench.twoThreads", "impl", impl, "sharing", "SAME_VMA")
          .ifPresent(r -> ds.addValue(r.opsPerSec() / 1e6, "2 readers, same VMA", impl));
    }
    return bars(
        "(c) Readers side by side: aggregate rate",
        "M ops/s, all threads (higher is better)",
        ds,
        "0.0");
  }

  private JFreeChart writers() {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (String size : new String[] {"64", "65536"}) {
      rows.find("WriterCostBench.startWriteCycle", "size", size)
          .ifPresent(r -> ds.addValue(r.nsPerOp(), size + " VMAs", "vma_start_write cycle"));
      rows.find("WriterCostBench.mmapMunmapCycle", "size", size)
          .ifPresent(r -> ds.addValue(r.nsPerOp(), size + " VMAs", "mmap + munmap cycle"));
    }
    return bars("(d) Writer costs, 1 thread", "ns/op (lower is better)", ds, "0");
  }

  private static JFreeChart bars(
      String title, String valueAxis, DefaultCategoryDataset ds, String labelFormat) {
    JFreeChart c = ChartFactory.createBarChart(title, null, valueAxis, ds);
    c.setBackgroundPaint(Color.WHITE);
    c.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    CategoryPlot plot = c.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setOutlineVisible(false);
    BarRenderer r = (BarRenderer) plot.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setItemMargin(0.05);
    r.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat(labelFormat)));
    r.setDefaultItemLabelsVisible(true);
    r.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    Color[] palette = {
      new Color(0x1f77b4),
      new Color(0xaec7e8),
      new Color(0xd62728),
      new Color(0x2ca02c),
      new Color(0x9467bd),
      new Color(0x7f7f7f)
    };
    for (int i = 0; i < palette.length; i++) {
      r.setSeriesPaint(i, palette[i]);
    }
    plot.getRangeAxis().setUpperMargin(0.15);
    return c;
  }
}
