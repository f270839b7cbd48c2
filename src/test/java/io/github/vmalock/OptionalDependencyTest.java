package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.vmalock.sim.Simulator;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The library's classes work without its optional dependencies: only the command line ({@code
 * sim.cli}) refers to picocli or JFreeChart, and only {@code testkit.ProtocolModelCheck} (and its
 * nested classes) to Lincheck, which the library declares {@code provided}. Checked on the compiled
 * classes: a class that names another class carries its internal name ({@code picocli/CommandLine})
 * in its constant pool.
 */
@DisplayName("Only sim.cli refers to the optional dependencies (picocli, JFreeChart)")
class OptionalDependencyTest {
  private static final String[] OPTIONAL = {
    "picocli/", "org/jfree/", "org/HdrHistogram/", "org/jetbrains/lincheck/"
  };
  private static final String CLI = "io/github/vmalock/sim/cli/";
  private static final String MODEL_CHECK = "io/github/vmalock/testkit/ProtocolModelCheck";

  private static Path classesRoot() throws URISyntaxException {
    return Path.of(Simulator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** Every main class, as its path relative to the root, that names an optional dependency. */
  private static List<String> referring(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
        String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        for (String dep : OPTIONAL) {
          if (bytes.contains(dep)) {
            out.add(root.relativize(p).toString().replace('\\', '/') + " -> " + dep);
          }
        }
      }
    }
    return out;
  }

  @Test
  @DisplayName("no class outside sim.cli names picocli, JFreeChart or HdrHistogram")
  void onlyTheCliUsesThem() throws Exception {
    List<String> refs = referring(classesRoot());
    // The scan itself works: the CLI's entry point does refer to picocli.
    assertThat(refs).anyMatch(r -> r.startsWith(CLI + "Main.class -> picocli/"));
    assertThat(refs.stream().filter(r -> !r.startsWith(CLI) && !r.startsWith(MODEL_CHECK)))
        .as("library classes that need an optional dependency at run time")
        .isEmpty();
  }

  @Test
  @DisplayName("only testkit.ProtocolModelCheck names Lincheck (a provided dependency)")
  void onlyTheModelCheckUsesLincheck() throws Exception {
    List<String> refs = referring(classesRoot());
    assertThat(refs)
        .anyMatch(r -> r.startsWith(MODEL_CHECK) && r.endsWith("org/jetbrains/lincheck/"));
    assertThat(refs.stream().filter(r -> r.startsWith(MODEL_CHECK)))
        .allMatch(r -> r.endsWith("org/jetbrains/lincheck/"));
  }
}
