package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in {@code README.md}, {@code CONTRIBUTING.md}, {@code CHANGELOG.md} and
 * {@code docs/*.md} (including {@code docs/results/}) resolves: the file or folder exists, and a
 * {@code #fragment} names a heading of the target Markdown file (GitHub's anchor rule) or an
 * explicit {@code <a id="...">}. Links inside code spans and fenced code blocks are not links and
 * are skipped, as are absolute URLs.
 */
class DocsLinksTest {

  private static final Pattern LINK =
      Pattern.compile("!?\\[(?:[^\\]\\[]|\\[[^\\]]*\\])*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
  private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern EXPLICIT_ANCHOR =
      Pattern.compile("<a\\s+(?:id|name)=\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");

  /** One link found in a Markdown file. */
  record Link(Path file, int line, String target) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + target;
    }
  }

  @Test
  @DisplayName(
      "every relative link and anchor in README, CONTRIBUTING, CHANGELOG and docs/ resolves")
  void docsLinksResolve() throws IOException {
    List<Path> files = new ArrayList<>();
    for (String top : List.of("README.md", "CONTRIBUTING.md", "CHANGELOG.md")) {
      Path p = Path.of(top);
      if (Files.exists(p)) {
        files.add(p);
      }
    }
    try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    assertThat(files)
        .as("README.md and docs/*.md are found from the project root")
        .hasSizeGreaterThan(3);
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path f : files) {
      for (Link l : links(f, Files.readString(f, StandardCharsets.UTF_8))) {
        checked++;
        String problem = check(l);
        if (problem != null) {
          broken.add(l + " (" + problem + ")");
        }
      }
    }
    assertThat(checked).as("links checked").isGreaterThan(50);
    assertThat(broken).as("broken relative links").isEmpty();
  }

  @Test
  @DisplayName("the checker finds a missing file, a missing anchor, and skips code and URLs")
  void checkerFailsOnABrokenSnippet(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("other.md"), "# Other page\n\n## The `mm` package\n\ntext\n");
    String snippet =
        String.join(
            "\n",
            "# Title",
            "",
            "[ok](other.md), [ok anchor](other.md#the-mm-package), [self](#title),",
            "[missing file](nowhere.md), [missing anchor](other.md#no-such-heading),",
            "[bad self](#not-here), [web](https://example.com/x.md), ![img](none.png)",
            "`[in code](not-checked.md)`",
            "```",
            "[in a fence](not-checked-either.md)",
            "```",
            "");
    Path page = dir.resolve("page.md");
    Files.writeString(page, snippet);
    List<String> broken = new ArrayList<>();
    for (Link l : links(page, snippet)) {
      String problem = check(l);
      if (problem != null) {
        broken.add(l.target());
      }
    }
    assertThat(broken)
        .containsExactly("nowhere.md", "other.md#no-such-heading", "#not-here", "none.png");
  }

  @Test
  @DisplayName("anchors follow GitHub's rule: lower case, punctuation dropped, spaces to hyphens")
  void anchorRule() {
    assertThat(slug("Known-bad variants: the kill matrix"))
        .isEqualTo("known-bad-variants-the-kill-matrix");
    assertThat(slug("The `mm` package")).isEqualTo("the-mm-package");
    assertThat(slug("I1")).isEqualTo("i1");
    assertThat(slug("jcstress (quick, default, full)")).isEqualTo("jcstress-quick-default-full");
    assertThat(anchors("# A\n## A\n```\n# not a heading\n```\n<a id=\"x1\"></a>\n"))
        .containsExactlyInAnyOrder("a", "a-1", "x1");
  }

  static List<Link> links(Path file, String text) {
    List<Link> out = new ArrayList<>();
    boolean fence = false;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.trim().startsWith("```")) {
        fence = !fence;
        continue;
      }
      if (fence) {
        continue;
      }
      Matcher m = LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
          continue; // https:, mailto:, ...
        }
        out.add(new Link(file, i + 1, target));
      }
    }
    return out;
  }

  /** Returns what is wrong with the link, or null when it resolves. */
  static String check(Link l) throws IOException {
    String target = l.target();
    int hash = target.indexOf('#');
    String pathPart = hash < 0 ? target : target.substring(0, hash);
    String fragment = hash < 0 ? null : target.substring(hash + 1);
    Path dir = l.file().toAbsolutePath().getParent();
    Path resolved =
        pathPart.isEmpty() ? l.file().toAbsolutePath() : dir.resolve(pathPart).normalize();
    if (!Files.exists(resolved)) {
      return "no such file " + resolved;
    }
    if (fragment == null) {
      return null;
    }
    if (!resolved.toString().endsWith(".md")) {
      return fragment.matches("L\\d+(-L\\d+)?") ? null : "anchor into a non-Markdown file";
    }
    Set<String> anchors = anchors(Files.readString(resolved, StandardCharsets.UTF_8));
    return anchors.contains(fragment)
        ? null
        : "no heading or anchor #" + fragment + " in " + resolved;
  }

  static Set<String> anchors(String text) {
    Set<String> out = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean fence = false;
    for (String line : text.split("\n", -1)) {
      if (line.trim().startsWith("```")) {
        fence = !fence;
        continue;
      }
      if (fence) {
        continue;
      }
      Matcher a = EXPLICIT_ANCHOR.matcher(line);
      while (a.find()) {
        out.add(a.group(1));
      }
      Matcher h = HEADING.matcher(line);
      if (h.matches()) {
        String s = slug(h.group(2));
        int n = seen.merge(s, 1, Integer::sum) - 1;
        out.add(n == 0 ? s : s + "-" + n);
      }
    }
    return out;
  }

  /** GitHub's heading anchor: link text only, lower case, punctuation dropped, spaces to '-'. */
  static String slug(String heading) {
    String text =
        heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replaceAll("<[^>]+>", "");
    StringBuilder sb = new StringBuilder();
    for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        sb.append(c);
      } else if (c == ' ') {
        sb.append('-');
      }
    }
    return sb.toString();
  }
}
