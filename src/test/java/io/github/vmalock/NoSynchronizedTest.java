package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * No {@code synchronized} in {@code mm}, {@code maple}, {@code locking}, {@code rcu} (the project's
 * rule: these packages use VarHandles, j.u.c. locks and parking, never monitors). The synchronized
 * method flag ({@code ACC_SYNCHRONIZED}) and synchronized blocks ({@code monitorenter}) are both
 * found by disassembling every compiled class file of those packages with the JDK's own {@code
 * javap} (through {@link ToolProvider}, no extra dependency); ArchUnit sees only the method
 * modifier.
 */
class NoSynchronizedTest {

  private static final List<String> PACKAGES = List.of("mm", "maple", "locking", "rcu");

  @Test
  @DisplayName("no monitorenter and no ACC_SYNCHRONIZED in mm, maple, locking, rcu")
  void coreHasNoMonitors() throws IOException {
    Path classes = Paths.get("target", "classes", "io", "github", "vmalock");
    List<Path> files = new ArrayList<>();
    for (String pkg : PACKAGES) {
      Path dir = classes.resolve(pkg);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> s = Files.walk(dir)) {
          s.filter(p -> p.toString().endsWith(".class")).forEach(files::add);
        }
      }
    }
    assertThat(files).as("compiled classes of the core packages under %s", classes).isNotEmpty();
    assertThat(monitorUses(files)).as("synchronized in the core packages").isEmpty();
  }

  @Test
  @DisplayName("the scanner finds a synchronized method and a synchronized block")
  void scannerSeesBothForms() {
    Path fixture =
        Paths.get(
            "target",
            "test-classes",
            "io",
            "github",
            "vmalock",
            "NoSynchronizedTest$MonitorFixture.class");
    assertThat(monitorUses(List.of(fixture)))
        .anySatisfy(s -> assertThat(s).contains("ACC_SYNCHRONIZED").contains("flagged()"))
        .anySatisfy(s -> assertThat(s).contains("monitorenter").contains("block()"));
  }

  /**
   * Disassembles {@code files} with {@code javap -c -p} and returns one line per use of a monitor:
   * the class and method, and which form.
   */
  static List<String> monitorUses(List<Path> files) {
    ToolProvider javap =
        ToolProvider.findFirst("javap").orElseThrow(() -> new AssertionError("no javap"));
    List<String> args = new ArrayList<>(List.of("-c", "-p"));
    files.forEach(f -> args.add(f.toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc =
        javap.run(
            new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(new String[0]));
    assertThat(rc).as("javap exit status; stderr: %s", err).isZero();
    List<String> found = new ArrayList<>();
    String type = "?";
    String method = "?";
    for (String line : out.toString().split("\n", -1)) {
      String t = line.strip();
      boolean memberIndent = line.startsWith("  ") && !line.startsWith("    ");
      if (!line.startsWith(" ") && (t.contains("class ") || t.contains("interface "))) {
        type = t;
      } else if (memberIndent && t.endsWith(";") && t.contains("(")) {
        method = t;
        if (t.matches("(.*\\s)?synchronized\\s.*")) {
          found.add(type + " :: " + method + " has ACC_SYNCHRONIZED");
        }
      } else if (t.matches("\\d+: monitorenter")) {
        found.add(type + " :: " + method + " uses monitorenter");
      }
    }
    return found;
  }

  /** Compiled into the test classes so that the scanner can be shown to find both forms. */
  @SuppressWarnings("unused")
  static final class MonitorFixture {
    private final Object lock = new Object();
    private int count;

    synchronized void flagged() {
      count++;
    }

    void block() {
      synchronized (lock) {
        count++;
      }
    }
  }
}
