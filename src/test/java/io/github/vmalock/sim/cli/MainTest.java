package io.github.vmalock.sim.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("CLI: exit status, messages, no stack traces")
class MainTest {

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(status, out.toString(), err.toString());
  }

  static void assertBadInput(Run r, String... mentions) {
    assertThat(r.status()).as(r.err()).isEqualTo(2);
    for (String m : mentions) {
      assertThat(r.err()).contains(m);
    }
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(r.out()).doesNotContain("\tat ");
  }

  @Test
  @DisplayName("an unknown scenario lists the valid names, exit 2")
  void unknownScenario() {
    assertBadInput(
        run("run", "--scenario", "nope"), "nope", "valid scenarios", "fault-storm", "proc-maps");
  }

  @Test
  @DisplayName("bad numbers name the option and say why, exit 2")
  void badNumbers() {
    assertBadInput(run("run", "--threads", "abc"), "--threads", "abc");
    assertBadInput(run("run", "--threads", "-1"), "--threads", "-1");
    assertBadInput(run("run", "--ops", "0"), "--ops");
    assertBadInput(run("run", "--vmas", "2"), "--vmas", "2");
    assertBadInput(run("run", "--retry-rate", "1.5"), "--retry-rate", "1.5");
    assertBadInput(run("run", "--retry-rate", "x"), "--retry-rate");
    assertBadInput(run("run", "--duration", "soon"), "--duration", "soon");
    assertBadInput(run("run", "--seed", "1e3"), "--seed");
    assertBadInput(run("headline", "--threads", "0"), "--threads");
  }

  @Test
  @DisplayName("other bad input: invalid world, bad mix, unknown option or command, exit 2")
  void otherBadInput() {
    assertBadInput(run("run", "--shape", "AFTER", "--lock-mode", "MMAP_LOCK_ONLY"), "PER_VMA");
    assertBadInput(run("run", "--lock-mode", "SOMETIMES"), "--lock-mode", "SOMETIMES");
    assertBadInput(run("run", "--mix", "page-fault=x"), "--mix", "page-fault");
    assertBadInput(run("run", "--mix", "frob=1"), "--mix", "valid callers");
    assertBadInput(run("run", "--duration", "1s", "--ops", "5"), "mutually exclusive");
    assertBadInput(run("run", "--bogus"), "--bogus");
    assertBadInput(run("frobnicate"), "frobnicate");
    assertBadInput(run("replay", "seed-v9"), "seed-v9", "seed-v2");
    assertBadInput(run("run", "--json", "/nonexistent-dir/x.json", "-n", "5"), "--json");
  }

  @Test
  @DisplayName("--help and --version exit 0")
  void helpAndVersion() {
    Run help = run("--help");
    assertThat(help.status()).isZero();
    assertThat(help.out()).contains("run", "scenarios", "replay");
    Run runHelp = run("run", "--help");
    assertThat(runHelp.status()).isZero();
    assertThat(runHelp.out()).contains("--scenario", "--retry-rate", "--json", "--chart");
    Run version = run("--version");
    assertThat(version.status()).isZero();
    assertThat(version.out()).contains("vmalock-sim");
  }

  @Test
  @DisplayName("scenarios lists every scenario, one line each")
  void scenarios() {
    Run r = run("scenarios");
    assertThat(r.status()).isZero();
    for (io.github.vmalock.sim.Scenario s : io.github.vmalock.sim.Scenario.values()) {
      assertThat(r.out()).contains(s.label());
    }
  }

  @Test
  @DisplayName("a short counted run exits 0 and writes JSON")
  void shortRun(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("r.json");
    Run r = run("run", "-s", "mixed", "-n", "200", "--all-worlds", "-q", "--json", json.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("BEFORE+MMAP_LOCK_ONLY", "BEFORE+PER_VMA", "AFTER+PER_VMA");
    String text = Files.readString(json, StandardCharsets.UTF_8);
    assertThat(text).startsWith("{").contains("\"runs\"").contains("\"violations\": 0");
  }

  @Test
  @DisplayName("--chart writes a PNG, rendered headless")
  void chart(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("c.png");
    Run r = run("run", "-n", "50", "-q", "--chart", png.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
    assertThat(head).containsExactly(0x89, 'P', 'N', 'G');
  }

  @Test
  @DisplayName("a run that leaks locks exits 1")
  void leakExitsOne() {
    Run r = run("run", "--mix", "bpf-stackmap-v2=1", "-w", "0", "-t", "1", "-n", "10", "-q");
    assertThat(r.status()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains("LEAK");
  }

  @Test
  @DisplayName("replay seed-v2 exits 0")
  void replay() {
    Run r = run("replay", "seed-v2", "--leak-wait", "300ms");
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("CAUGHT", "PASS").doesNotContain("MISSED", "FAIL");
  }

  @Test
  @DisplayName("experiment --list names the four experiments, one line each")
  void experimentList() {
    Run r = run("experiment", "--list");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out().lines())
        .hasSize(4)
        .anySatisfy(l -> assertThat(l).startsWith("proc-maps-latency"))
        .anySatisfy(l -> assertThat(l).startsWith("fault-scaling"))
        .anySatisfy(l -> assertThat(l).startsWith("app-launch"))
        .anySatisfy(l -> assertThat(l).startsWith("series"));
  }

  @Test
  @DisplayName("experiment NAME --quick --json writes the fixed fields, exit 0")
  void experimentJson(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f = dir.resolve("p.json");
    Run r =
        run(
            "experiment",
            "proc-maps-latency",
            "--quick",
            "-q",
            "--rounds",
            "2",
            "--run-length",
            "30ms",
            "--json",
            f.toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("published:").contains("model:").contains("agrees:");
    String json = java.nio.file.Files.readString(f);
    assertThat(json)
        .contains("\"experiment\": \"proc-maps-latency\"")
        .contains("\"published\"")
        .contains("\"model\"")
        .contains("\"spread\"")
        .contains("\"agrees\"");
  }

  @Test
  @DisplayName("experiment and cost options: bad input names the option and the limit, exit 2")
  void experimentBadInput() {
    assertBadInput(run("experiment", "nope"), "nope", "proc-maps-latency");
    assertBadInput(run("experiment", "series", "--rounds", "1"), "--rounds", "2 and 100");
    assertBadInput(run("experiment", "series", "--run-length", "1ms"), "--run-length");
    assertBadInput(run("experiment", "series", "--hold", "page-fault=abc"), "--hold", "abc");
    assertBadInput(run("experiment", "series", "--hold", "nobody=1us"), "--hold", "nobody");
    assertBadInput(run("experiment", "series", "--hold", "munmap=1us"), "--hold", "writer");
    assertBadInput(run("experiment", "series", "--hold", "1us"), "--hold", "CALLER=");
    assertBadInput(run("experiment", "series", "--cost-model", "cheap"), "--cost-model", "kernel");
    assertBadInput(run("experiment", "series", "--page-scale", "0"), "--page-scale", "4096");
    assertBadInput(run("run", "--unmap-page", "fast"), "--unmap-page", "fast");
    assertBadInput(run("run", "--protect-page", "-1us"), "--protect-page");
    assertBadInput(run("run", "--vmas", "100000"), "--vmas", "100000", "vm.max_map_count");
  }

  @Test
  @DisplayName("run takes the cost options: a costed run stays clean, exit 0")
  void runWithCost() {
    Run r =
        run(
            "run",
            "-n",
            "200",
            "--cost-model",
            "kernel",
            "--hold",
            "page-fault=2us,50us@0.01",
            "--page-scale",
            "4",
            "-q");
    assertThat(r.status()).as(r.err()).isZero();
  }
}
