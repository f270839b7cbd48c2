package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The JMH bars are stated twice by design: as prose in the table of {@code docs/benchmarks.md}
 * ("The bars", the source) and as data in {@code jmh/.../report/bars.tsv}, which the results page
 * reads. This test holds the two together: the same number of bars, in the same order, each with
 * the same comparison and target (the table's figure, to the precision the table prints it).
 */
class BarsTableTest {

  private static final Path DOC = Path.of("docs/benchmarks.md");
  private static final Path TSV =
      Path.of("jmh/src/main/resources/io/github/vmalock/jmh/report/bars.tsv");

  private static final Pattern AT_MOST = Pattern.compile("at most ([0-9]+(?:\\.[0-9]+)?)x?");
  private static final Pattern AT_LEAST = Pattern.compile("at least ([0-9]+(?:\\.[0-9]+)?)x?");
  private static final Pattern BELOW = Pattern.compile("below ([0-9]+(?:\\.[0-9]+)?)x");

  /** One bar: its comparison ({@code <=}, {@code >=}, {@code <}) and target as written. */
  record Bar(String comparison, String target) {}

  @Test
  @DisplayName("docs/benchmarks.md's bar table and bars.tsv state the same bars in the same order")
  void tableMatchesData() throws IOException {
    List<String> rows = tableTargets(Files.readString(DOC, StandardCharsets.UTF_8));
    List<Bar> data = tsvBars(Files.readString(TSV, StandardCharsets.UTF_8));
    assertThat(rows).as("bars in the table of %s", DOC).isNotEmpty();
    assertThat(mismatches(rows, data)).as("%s against %s", DOC, TSV).isEmpty();
  }

  @Test
  @DisplayName("a changed target, comparison or bar count on one side is reported")
  void mismatchesAreFound() throws IOException {
    List<String> rows = tableTargets(Files.readString(DOC, StandardCharsets.UTF_8));
    List<Bar> data = tsvBars(Files.readString(TSV, StandardCharsets.UTF_8));
    List<Bar> changedTarget = new ArrayList<>(data);
    changedTarget.set(0, new Bar(data.get(0).comparison(), "0.6"));
    assertThat(mismatches(rows, changedTarget)).singleElement().asString().contains("bar 1");
    List<Bar> changedComparison = new ArrayList<>(data);
    changedComparison.set(1, new Bar(">=", data.get(1).target()));
    assertThat(mismatches(rows, changedComparison)).singleElement().asString().contains("bar 2");
    assertThat(mismatches(rows, data.subList(0, data.size() - 1)))
        .singleElement()
        .asString()
        .contains("count");
  }

  static List<String> mismatches(List<String> rows, List<Bar> data) {
    List<String> out = new ArrayList<>();
    if (rows.size() != data.size()) {
      out.add("bar count: table " + rows.size() + ", tsv " + data.size());
      return out;
    }
    for (int i = 0; i < rows.size(); i++) {
      Bar fromDoc = parseTarget(rows.get(i));
      Bar fromTsv = data.get(i);
      int scale = new BigDecimal(fromDoc.target()).scale();
      BigDecimal rounded = new BigDecimal(fromTsv.target()).setScale(scale, RoundingMode.HALF_UP);
      if (!fromTsv.comparison().equals(fromDoc.comparison())
          || rounded.compareTo(new BigDecimal(fromDoc.target())) != 0) {
        out.add("bar " + (i + 1) + ": table '" + rows.get(i) + "', tsv " + fromTsv);
      }
    }
    return out;
  }

  @Test
  @DisplayName("the target parser reads each wording the table uses and refuses others")
  void parserSelfCheck() {
    assertThat(parseTarget("at most 0.5x")).isEqualTo(new Bar("<=", "0.5"));
    assertThat(parseTarget("at least 1.4x")).isEqualTo(new Bar(">=", "1.4"));
    assertThat(parseTarget("shown falling (below 1x)")).isEqualTo(new Bar("<", "1"));
    assertThat(parseTarget("0 B/op (at most 0.1 B/op, the gc profiler's resolution)"))
        .isEqualTo(new Bar("<=", "0.1"));
    assertThat(parseTarget("O(log n): at most 2.67x")).isEqualTo(new Bar("<=", "2.67"));
    assertThatThrownBy(() -> parseTarget("about 2x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("about 2x");
  }

  /** The "target" cells of the table under the heading "## The bars". */
  static List<String> tableTargets(String markdown) {
    int at = markdown.indexOf("\n## The bars\n");
    if (at < 0) {
      throw new IllegalArgumentException("no '## The bars' section");
    }
    List<String> out = new ArrayList<>();
    boolean inTable = false;
    for (String line : markdown.substring(at + 1).split("\n")) {
      if (line.startsWith("## ") && inTable) {
        break;
      }
      if (!line.startsWith("|")) {
        if (inTable) {
          break;
        }
        continue;
      }
      inTable = true;
      String[] cells = line.split("\\|");
      String target = cells[cells.length - 1].trim();
      if (target.equals("target") || target.startsWith("---")) {
        continue;
      }
      out.add(target);
    }
    return out;
  }

  static Bar parseTarget(String cell) {
    Matcher below = BELOW.matcher(cell);
    if (below.find()) {
      return new Bar("<", below.group(1));
    }
    Matcher most = AT_MOST.matcher(cell);
    if (most.find()) {
      return new Bar("<=", most.group(1));
    }
    Matcher least = AT_LEAST.matcher(cell);
    if (least.find()) {
      return new Bar(">=", least.group(1));
    }
    throw new IllegalArgumentException(
        "bar target '" + cell + "': expected 'at most N', 'at least N' or 'below Nx'");
  }

  static List<Bar> tsvBars(String tsv) {
    List<Bar> out = new ArrayList<>();
    for (String line : tsv.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] cols = line.split("\t");
      if (cols.length < 3) {
        throw new IllegalArgumentException("bars.tsv line '" + line + "': fewer than 3 columns");
      }
      out.add(new Bar(cols[1].trim(), cols[2].trim()));
    }
    return out;
  }
}
