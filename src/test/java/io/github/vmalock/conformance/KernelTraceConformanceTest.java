package io.github.vmalock.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.vmalock.mm.Errno;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.Mman;
import io.github.vmalock.mm.VmFlags;
import io.github.vmalock.mm.VmaSnapshot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The differential test of docs/conformance.md: a seeded random sequence of {@code mmap} (fixed,
 * hint, {@code MAP_FIXED_NOREPLACE}), {@code munmap}, {@code mprotect}, one-byte page writes (write
 * faults: {@link MmStruct#handleMmFault(long, boolean)}) and {@code mremap} run by the running
 * Linux kernel (src/test/resources/conformance/ops-trace.c, compiled here with {@code cc}) and
 * replayed on {@link MmStruct}; every step's result (address or errno) and the window's layout
 * (ranges, perms, the smaps {@code ac} flag) must agree, but for the allowlist in
 * docs/conformance.md. Steps: {@code -Dvmalock.conformance.steps} (default 10,000), seed {@code
 * -Dvmalock.conformance.seed}.
 */
class KernelTraceConformanceTest {
  static final long PAGE = MmStruct.PAGE_SIZE;
  static final long WINDOW = 0x200000000L;
  static final long SIZE = 64 * PAGE;

  /**
   * One operation: m = MAP_FIXED, n = MAP_FIXED_NOREPLACE, h = hint, u = munmap, p = mprotect, t =
   * a one-byte write at {@code addr} (a write fault), r = {@code mremap(addr, len, len2, prot as
   * the flags, addr2)}.
   */
  record Op(char op, long addr, long len, int prot, long len2, long addr2) {
    Op(char op, long addr, long len, int prot) {
      this(op, addr, len, prot, 0, 0);
    }

    String line() {
      return String.format(Locale.ROOT, "%c %x %x %x %x %x", op, addr, len, prot, len2, addr2);
    }
  }

  /** One step's outcome: the result ("0", a hex address, "OUT", "-errno") and the layout. */
  record Step(String result, List<String> layout) {}

  static List<Op> randomOps(long seed, int steps) {
    Random r = new Random(seed);
    List<Op> ops = new ArrayList<>(steps);
    String kinds = "mmmnhuuuppppttttrr";
    for (int i = 0; i < steps; i++) {
      char op = kinds.charAt(r.nextInt(kinds.length()));
      if (op == 't') {
        ops.add(new Op('t', WINDOW + PAGE * r.nextInt(64) + r.nextInt((int) PAGE), 0, 0));
        continue;
      }
      if (op == 'r') {
        // mremap: aligned lengths of 1 to 8 pages (allowlist 1 covers unaligned ones elsewhere),
        // flags 0, MAYMOVE, MAYMOVE|FIXED, or FIXED alone (EINVAL); a FIXED destination inside
        // the window.
        long from = WINDOW + PAGE * r.nextInt(64) + (r.nextInt(40) == 0 ? 1 : 0);
        long oldLen = PAGE * (1 + r.nextInt(8));
        long newLen = PAGE * (1 + r.nextInt(8));
        int flags = new int[] {0, 1, 1, 3, 3, 3, 2}[r.nextInt(7)];
        long to = WINDOW + PAGE * r.nextInt((int) ((SIZE - newLen) / PAGE) + 1);
        ops.add(new Op('r', from, oldLen, flags, newLen, to));
        continue;
      }
      long addr = WINDOW + PAGE * r.nextInt(64) + (r.nextInt(40) == 0 ? 1 : 0);
      long len = PAGE * r.nextInt(9) + (r.nextInt(10) == 0 ? 1 + r.nextInt(4000) : 0);
      if (op != 'p' && len == 0 && r.nextBoolean()) {
        len = PAGE;
      }
      ops.add(new Op(op, addr, len, r.nextInt(8)));
    }
    return ops;
  }

  // ---- the kernel side

  static Path compileOps() throws IOException, InterruptedException {
    Path dir = Path.of("target", "conformance");
    Files.createDirectories(dir);
    Path src = dir.resolve("ops-trace.c");
    try (InputStream in =
        KernelTraceConformanceTest.class.getResourceAsStream("/conformance/ops-trace.c")) {
      Files.write(src, Objects.requireNonNull(in).readAllBytes());
    }
    Path bin = dir.resolve("ops-trace");
    Process p =
        new ProcessBuilder("cc", "-O2", "-o", bin.toString(), src.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("cc: %s", out).isZero();
    return bin;
  }

  static List<Step> kernel(Path bin, List<Op> ops) {
    try {
      Path in = Files.createTempFile(bin.getParent(), "ops", ".txt");
      StringBuilder sb = new StringBuilder();
      for (Op o : ops) {
        sb.append(o.line()).append('\n');
      }
      Files.writeString(in, sb);
      Process p =
          new ProcessBuilder(bin.toString(), Long.toHexString(WINDOW), Long.toHexString(SIZE))
              .redirectInput(in.toFile())
              .redirectErrorStream(true)
              .start();
      List<Step> steps = new ArrayList<>();
      try (BufferedReader br =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String result = null;
        List<String> layout = new ArrayList<>();
        for (String line; (line = br.readLine()) != null; ) {
          if (line.startsWith("R ")) {
            result = line.substring(2);
            layout = new ArrayList<>();
          } else if (line.startsWith("V ")) {
            layout.add(line.substring(2));
          } else if (line.equals("E")) {
            steps.add(new Step(kernelResult(result), layout));
          } else if (line.startsWith("F ")) {
            throw new IllegalStateException("ops could not reserve its window: " + line);
          }
        }
      }
      p.waitFor();
      Files.delete(in);
      return steps;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String kernelResult(String r) {
    if (r.startsWith("-") || r.equals("0")) {
      return r;
    }
    long a = Long.parseUnsignedLong(r, 16);
    return a >= WINDOW && a < WINDOW + SIZE ? r : "OUT";
  }

  // ---- the model side

  static List<Step> model(List<Op> ops) {
    MmStruct mm = MmStruct.builder().accountCommit(true).build();
    try {
      mm.mmap(WINDOW - PAGE, PAGE, VmFlags.VM_NORESERVE);
      mm.mmap(WINDOW + SIZE, PAGE, VmFlags.VM_NORESERVE);
      List<Step> steps = new ArrayList<>(ops.size());
      for (Op o : ops) {
        steps.add(new Step(apply(mm, o), layout(mm)));
      }
      return steps;
    } finally {
      mm.close();
    }
  }

  private static String apply(MmStruct mm, Op o) {
    int anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    // Allowlist 1: the model refuses unaligned lengths of munmap and mprotect; the kernel rounds
    // them up, so the replay rounds them up.
    long rounded = (o.len + PAGE - 1) & -PAGE;
    try {
      switch (o.op) {
        case 'm', 'n', 'h' -> {
          int flags =
              anon | (o.op == 'm' ? Mman.MAP_FIXED : o.op == 'n' ? Mman.MAP_FIXED_NOREPLACE : 0);
          long a = mm.mmap(o.addr, o.len, o.prot, flags);
          if (a < WINDOW || a >= WINDOW + SIZE) {
            // Allowlist 3: an unusable hint is placed by the model's search window, not the
            // kernel's mmap_base; both place it outside the window and it is removed at once.
            mm.munmap(a, rounded);
            return "OUT";
          }
          return Long.toHexString(a);
        }
        case 'u' -> mm.munmap(o.addr, rounded);
        case 't' -> mm.handleMmFault(o.addr, true);
        case 'r' -> {
          long a = mm.mremap(o.addr, o.len, o.len2, o.prot, o.addr2);
          if (a < WINDOW || a >= WINDOW + SIZE) {
            mm.munmap(a, o.len2); // moved outside the window (as allowlist 2): removed at once
            return "OUT";
          }
          return Long.toHexString(a);
        }
        default -> {
          try {
            mm.mprotect(o.addr, rounded, o.prot);
          } catch (RuntimeException e) {
            // Allowlist 2: over a hole the kernel changes the part before it, then fails.
            if (Errno.of(e).orElse(null) == Errno.ENOMEM && rounded > 0) {
              long hole = firstHole(mm, o.addr, o.addr + rounded);
              if (hole > o.addr) {
                mm.mprotect(o.addr, hole - o.addr, o.prot);
              }
            }
            throw e;
          }
        }
      }
      return "0";
    } catch (RuntimeException e) {
      return "-" + Errno.of(e).orElseThrow(() -> e).number();
    }
  }

  private static long firstHole(MmStruct mm, long start, long end) {
    long at = start;
    for (VmaSnapshot v : mm.vmas()) {
      if (v.end() <= at) {
        continue;
      }
      if (v.start() > at || at >= end) {
        break;
      }
      at = v.end();
    }
    return at;
  }

  private static List<String> layout(MmStruct mm) {
    List<String> out = new ArrayList<>();
    for (VmaSnapshot v : mm.vmas()) {
      if (v.end() <= WINDOW || v.start() >= WINDOW + SIZE) {
        continue;
      }
      long s = Math.max(v.start(), WINDOW);
      long e = Math.min(v.end(), WINDOW + SIZE);
      String perms =
          ((v.prot() & 1) != 0 ? "r" : "-")
              + ((v.prot() & 2) != 0 ? "w" : "-")
              + ((v.prot() & 4) != 0 ? "x" : "-")
              + "p";
      int ac = (v.flags() & VmFlags.VM_ACCOUNT) != 0 ? 1 : 0;
      out.add(Long.toHexString(s) + " " + Long.toHexString(e) + " " + perms + " " + ac);
    }
    return out;
  }

  // ---- comparison and shrinking

  /** The index of the first step where the two traces differ, or -1. */
  static int firstMismatch(List<Step> kernel, List<Step> model) {
    int n = Math.min(kernel.size(), model.size());
    for (int i = 0; i < n; i++) {
      if (!kernel.get(i).equals(model.get(i))) {
        return i;
      }
    }
    return kernel.size() == model.size() ? -1 : n;
  }

  /**
   * The shortest failing sequence found: the prefix up to the first mismatch, then chunks and
   * single steps removed while it still fails (at most {@code budget} reruns).
   */
  static List<Op> shrink(List<Op> ops, Function<List<Op>, List<Step>> kernel, int budget) {
    int first = firstMismatch(kernel.apply(ops), model(ops));
    if (first < 0) {
      return List.of();
    }
    List<Op> cur = new ArrayList<>(ops.subList(0, first + 1));
    int runs = 0;
    for (int chunk = Math.max(1, cur.size() / 2); chunk >= 1 && runs < budget; chunk /= 2) {
      for (int i = 0; i + chunk <= cur.size() && runs < budget; ) {
        List<Op> cand = new ArrayList<>(cur.subList(0, i));
        cand.addAll(cur.subList(i + chunk, cur.size()));
        runs++;
        int m = cand.isEmpty() ? -1 : firstMismatch(kernel.apply(cand), model(cand));
        if (m >= 0) {
          cur = new ArrayList<>(cand.subList(0, m + 1));
        } else {
          i += chunk;
        }
      }
      if (chunk == 1) {
        break;
      }
    }
    return cur;
  }

  static String describe(List<Op> ops, List<Step> kernel, List<Step> model) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ops.size(); i++) {
      sb.append(ops.get(i).line()).append('\n');
      if (i < kernel.size() && i < model.size() && !kernel.get(i).equals(model.get(i))) {
        sb.append("  kernel: ").append(kernel.get(i)).append('\n');
        sb.append("  model:  ").append(model.get(i)).append('\n');
      }
    }
    return sb.toString();
  }

  // ---- the tests

  @Test
  void modelAgreesWithTheRunningKernel() throws Exception {
    String os = System.getProperty("os.name", "");
    assumeTrue(os.toLowerCase(Locale.ROOT).contains("linux"), "not on Linux: " + os);
    assumeTrue(hasCc(), "no C compiler (cc) on PATH");
    Path bin = compileOps();
    int steps = Integer.getInteger("vmalock.conformance.steps", 10_000);
    long seed = Long.getLong("vmalock.conformance.seed", 15L);
    long t0 = System.nanoTime();
    List<Op> ops = randomOps(seed, steps);
    List<Step> k = kernel(bin, ops);
    List<Step> m = model(ops);
    assertThat(k).as("kernel steps").hasSize(steps);
    int bad = firstMismatch(k, m);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(
        Locale.ROOT, "KernelTraceConformanceTest: %d steps, seed %d, %d ms%n", steps, seed, ms);
    if (bad >= 0) {
      List<Op> small = shrink(ops, o -> kernel(bin, o), 400);
      String text = describe(small, kernel(bin, small), model(small));
      System.out.println("shortest failing sequence (" + small.size() + " steps):\n" + text);
      assertThat(bad).as("first mismatch at step %d; shrunk:%n%s", bad, text).isEqualTo(-1);
    }
  }

  @Test
  void differentAnonVmasDoNotMergeInTheKernelEither() throws Exception {
    // The case the random sequence rarely reaches: two neighbours with the same flags and
    // contiguous pgoff whose anon_vmas differ (the right one was written, moved away, its left
    // neighbour mapped and written, then moved back). is_mergeable_anon_vma keeps them apart.
    String os = System.getProperty("os.name", "");
    assumeTrue(os.toLowerCase(Locale.ROOT).contains("linux"), "not on Linux: " + os);
    assumeTrue(hasCc(), "no C compiler (cc) on PATH");
    Path bin = compileOps();
    int rw = Mman.PROT_READ | Mman.PROT_WRITE;
    List<Op> ops =
        List.of(
            new Op('m', WINDOW + 2 * PAGE, 2 * PAGE, rw),
            new Op('t', WINDOW + 2 * PAGE, 0, 0),
            new Op('r', WINDOW + 2 * PAGE, 2 * PAGE, 3, 2 * PAGE, WINDOW + 30 * PAGE),
            new Op('m', WINDOW, 2 * PAGE, rw),
            new Op('t', WINDOW, 0, 0),
            new Op('r', WINDOW + 30 * PAGE, 2 * PAGE, 3, 2 * PAGE, WINDOW + 2 * PAGE),
            new Op('m', WINDOW + 4 * PAGE, 2 * PAGE, rw));
    List<Step> k = kernel(bin, ops);
    List<Step> m = model(ops);
    assertThat(firstMismatch(k, m)).as("%s", describe(ops, k, m)).isEqualTo(-1);
    String w = Long.toHexString(WINDOW);
    assertThat(k.get(5).layout())
        .containsExactly(
            w + " " + Long.toHexString(WINDOW + 2 * PAGE) + " rw-p 1",
            Long.toHexString(WINDOW + 2 * PAGE)
                + " "
                + Long.toHexString(WINDOW + 4 * PAGE)
                + " rw-p 1");
  }

  @Test
  void aLyingKernelIsCaughtAndShrunk() {
    // A "kernel" that reports ENOMEM for every successful mprotect(PROT_READ): the comparator must
    // see it and the shrinker cut it to a map and the mprotect.
    Function<List<Op>, List<Step>> liar =
        ops -> {
          List<Step> real = model(ops);
          List<Step> out = new ArrayList<>();
          for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            Step s = real.get(i);
            out.add(
                o.op == 'p' && o.prot == Mman.PROT_READ && s.result().equals("0") && o.len > 0
                    ? new Step("-12", s.layout())
                    : s);
          }
          return out;
        };
    List<Op> ops = randomOps(7, 2000);
    assertThat(firstMismatch(liar.apply(ops), model(ops))).isNotNegative();
    List<Op> small = shrink(ops, liar, 2000);
    // A map and the mprotect, or (when the range needs two mappings to be hole-free, as for seed
    // 7 since the sequence has touch and mremap steps) two maps and the mprotect: 1-minimal.
    assertThat(small).hasSizeBetween(1, 3);
    assertThat(small.get(small.size() - 1).op()).isEqualTo('p');
    assertThat(firstMismatch(liar.apply(small), model(small))).isEqualTo(small.size() - 1);
  }

  private static boolean hasCc() {
    try {
      return new ProcessBuilder("cc", "--version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
