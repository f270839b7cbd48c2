package io.github.vmalock.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The address space held against the running Linux kernel (docs/conformance.md): a seeded random
 * sequence of {@code mmap} (fixed, hint, {@code MAP_FIXED_NOREPLACE}), {@code munmap} and {@code
 * mprotect} calls inside a private window, with holes, partial VMAs, zero and unaligned lengths and
 * unaligned addresses, is executed by {@code src/test/resources/conformance/maps-ops.c} (compiled
 * here with {@code cc}) and replayed on {@link MmStruct}; after every step the result (errno) and
 * the window's VMAs (range and permissions from {@code /proc/self/maps}) must agree. On a mismatch
 * the sequence is shrunk to the shortest failing one this test can cut, which is printed.
 *
 * <p>About 10,000 steps by default; {@code -Dvmalock.conformance.steps=100000} for the long mode,
 * {@code -Dvmalock.conformance.seed=N} to replay another seed. Skipped, with the reason, when not
 * on Linux or without a C compiler.
 */
class KernelConformanceTest {
  /** The window: high enough that the kernel's top-down search never lands in it. */
  static final long BASE = 0x100_0000_0000L;

  /** Pages in the window; one PROT_NONE guard page lies on each side. */
  static final int PAGES = 64;

  static final long PAGE = MmStruct.PAGE_SIZE;
  static final long LO = BASE - PAGE;
  static final long HI = BASE + PAGES * PAGE + PAGE;

  /** Steps per run: a mismatch is shrunk within one run. */
  static final int RUN_LENGTH = 1000;

  private static Path binary;

  /** One operation: kind F, H, N (mmap), U (munmap) or P (mprotect); prot as PROT_* bits. */
  record Op(char kind, long addr, long len, int prot) {
    String line() {
      return kind + " " + Long.toHexString(addr) + " " + Long.toHexString(len) + " " + prot;
    }

    @Override
    public String toString() {
      return switch (kind) {
        case 'F' -> call("mmap", "MAP_FIXED");
        case 'H' -> call("mmap", "hint");
        case 'N' -> call("mmap", "MAP_FIXED_NOREPLACE");
        case 'U' -> String.format("munmap(0x%x, 0x%x)", addr, len);
        default -> String.format("mprotect(0x%x, 0x%x, %d)", addr, len, prot);
      };
    }

    private String call(String name, String how) {
      return String.format("%s(0x%x, 0x%x, %d, %s)", name, addr, len, prot, how);
    }
  }

  @BeforeAll
  static void compile() throws IOException, InterruptedException {
    String os = System.getProperty("os.name", "");
    assumeTrue(
        os.toLowerCase(Locale.ROOT).contains("linux"),
        "kernel conformance skipped: not on Linux (os.name=" + os + ")");
    Path dir = Path.of("target", "conformance");
    Files.createDirectories(dir);
    Path src = dir.resolve("maps-ops.c");
    try (var in = KernelConformanceTest.class.getResourceAsStream("/conformance/maps-ops.c")) {
      assertThat(in).as("conformance/maps-ops.c on the test class path").isNotNull();
      Files.write(src, in.readAllBytes());
    }
    Path out = dir.resolve("maps-ops");
    Process cc;
    try {
      cc =
          new ProcessBuilder("cc", "-O", "-o", out.toString(), src.toString())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      assumeTrue(false, "kernel conformance skipped: no C compiler (cc): " + e.getMessage());
      return;
    }
    String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(cc.waitFor(60, TimeUnit.SECONDS)).as("cc finished").isTrue();
    assertThat(cc.exitValue()).as("cc maps-ops.c:\n%s", log).isZero();
    binary = out;
  }

  // ---- the sequence
  // -----------------------------------------------------------------------------

  static List<Op> randomOps(long seed, int n) {
    Random r = new Random(seed);
    int[] prots = {0, 1, 3, 4, 5, 7};
    List<Op> ops = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(100);
      char kind = k < 30 ? 'F' : k < 40 ? 'H' : k < 50 ? 'N' : k < 70 ? 'U' : 'P';
      int page = r.nextInt(PAGES);
      int pages = 1 + r.nextInt(Math.min(8, PAGES - page));
      long addr = BASE + page * PAGE;
      long len = pages * PAGE;
      int edge = r.nextInt(100);
      if (edge < 4) {
        addr += 1 + r.nextInt((int) PAGE - 1); // unaligned address
      } else if (edge < 9) {
        len = 0;
      } else if (edge < 17) {
        len -= 1 + r.nextInt((int) PAGE - 1); // unaligned length, rounds up to pages
      }
      ops.add(new Op(kind, addr, len, prots[r.nextInt(prots.length)]));
    }
    return ops;
  }

  // ---- the two sides
  // ----------------------------------------------------------------------------

  /** The kernel's results: one line per step, "RESULT|VMAS". */
  static List<String> kernel(List<Op> ops) {
    try {
      Path in = Files.createTempFile(binary.getParent(), "ops", ".txt");
      try {
        StringBuilder sb = new StringBuilder();
        for (Op op : ops) {
          sb.append(op.line()).append('\n');
        }
        Files.writeString(in, sb);
        Process p =
            new ProcessBuilder(binary.toString(), "0x" + Long.toHexString(BASE), "" + PAGES)
                .redirectInput(in.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> lines =
            new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("ops exit status").isZero();
        assertThat(lines).as("one line per step").hasSize(ops.size());
        return lines;
      } finally {
        Files.deleteIfExists(in);
      }
    } catch (IOException e) {
      throw new AssertionError("running " + binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The model's results, in the kernel's format. */
  static List<String> model(List<Op> ops) {
    List<String> out = new ArrayList<>(ops.size());
    try (MmStruct mm = new MmStruct()) {
      mm.mmap(LO, HI - LO, VmFlags.VM_NONE);
      for (Op op : ops) {
        String result;
        try {
          result = apply(mm, op);
        } catch (RuntimeException e) {
          Optional<Errno> errno = Errno.of(e);
          result = errno.map(x -> "E" + x.name()).orElse("X" + e);
        }
        out.add(result + "|" + layout(mm));
      }
    }
    return out;
  }

  /**
   * One step on the model. Lengths are rounded up to pages here, as the kernel rounds them (the
   * model refuses unaligned lengths: allowlist entry 1); a hint is rounded down to its page as
   * {@code round_hint_to_min} rounds it.
   */
  private static String apply(MmStruct mm, Op op) {
    long len = roundUp(op.len());
    long flags = op.prot(); // PROT_READ/WRITE/EXEC have VM_READ/WRITE/EXEC's values
    switch (op.kind()) {
      case 'F' -> {
        mm.mmap(op.addr(), len, flags);
        return placed(mm, op.addr(), len);
      }
      case 'N' -> {
        checkMmapArgs(op.addr(), op.len());
        if (intersects(mm, op.addr(), len)) {
          return "EEEXIST";
        }
        mm.mmap(op.addr(), len, flags);
        return placed(mm, op.addr(), len);
      }
      case 'H' -> {
        if (op.len() == 0) {
          return "EEINVAL";
        }
        long hint = op.addr() & -PAGE; // round_hint_to_min()
        if (hint >= MmStruct.MMAP_MIN_ADDR
            && hint + len <= mm.taskSize()
            && !intersects(mm, hint, len)) {
          mm.mmap(hint, len, flags);
          return placed(mm, hint, len);
        }
        VmArea v = mm.mmap(len, flags);
        long at;
        mm.mmapReadLock();
        try {
          at = v.vmStart;
        } finally {
          mm.mmapReadUnlock();
        }
        return placed(mm, at, len);
      }
      case 'U' -> {
        mm.munmap(op.addr(), len);
        return "0";
      }
      case 'P' -> {
        mm.mprotect(op.addr(), len, flags);
        return "0";
      }
      default -> throw new IllegalArgumentException("op " + op);
    }
  }

  private static void checkMmapArgs(long addr, long len) {
    if (len == 0 || (addr & (PAGE - 1)) != 0) {
      throw new MmErrnoArgumentException(Errno.EINVAL, "bad mmap arguments");
    }
  }

  /** "A" and the address inside the reserved region; "OUT" (unmapped again) outside it. */
  private static String placed(MmStruct mm, long addr, long len) {
    if (addr >= LO && addr < HI) {
      return "A" + Long.toHexString(addr);
    }
    mm.munmap(addr, len);
    return "OUT";
  }

  private static boolean intersects(MmStruct mm, long addr, long len) {
    mm.mmapReadLock();
    try {
      return mm.findVmaIntersection(addr, addr + len) != null;
    } finally {
      mm.mmapReadUnlock();
    }
  }

  private static long roundUp(long len) {
    return (len + PAGE - 1) & -PAGE;
  }

  /** The window's VMAs, clipped to it: "start-end perms" joined by commas. */
  static String layout(MmStruct mm) {
    StringBuilder sb = new StringBuilder();
    mm.mmapReadLock();
    try {
      for (VmArea v = mm.findVma(LO); v != null && v.vmStart < HI; v = mm.findVma(v.vmEnd)) {
        if (sb.length() > 0) {
          sb.append(',');
        }
        sb.append(Long.toHexString(Math.max(v.vmStart, LO)))
            .append('-')
            .append(Long.toHexString(Math.min(v.vmEnd, HI)))
            .append(' ')
            .append(VmFlags.toString(v.vmFlags));
      }
    } finally {
      mm.mmapReadUnlock();
    }
    return sb.toString();
  }

  // ---- comparing and shrinking
  // ------------------------------------------------------------------

  /** The first step at which the two sides differ, or -1. */
  static int firstMismatch(List<Op> ops, Function<List<Op>, List<String>> oracle) {
    List<String> k = oracle.apply(ops);
    List<String> m = model(ops);
    for (int i = 0; i < ops.size(); i++) {
      if (!k.get(i).equals(m.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The shortest failing sequence this can cut from {@code ops} (which fails at {@code at}): the
   * prefix up to the failing step, then chunks removed while it still fails (delta debugging).
   */
  static List<Op> shrink(List<Op> ops, int at, Function<List<Op>, List<String>> oracle) {
    List<Op> cur = new ArrayList<>(ops.subList(0, at + 1));
    int budget = 400;
    for (int chunk = Math.max(1, cur.size() / 2); chunk >= 1 && budget > 0; chunk /= 2) {
      boolean removed = true;
      while (removed && budget > 0) {
        removed = false;
        for (int i = 0; i + chunk <= cur.size() && budget > 0; ) {
          List<Op> cand = new ArrayList<>(cur.subList(0, i));
          cand.addAll(cur.subList(i + chunk, cur.size()));
          budget--;
          int f = cand.isEmpty() ? -1 : firstMismatch(cand, oracle);
          if (f >= 0) {
            cur = new ArrayList<>(cand.subList(0, f + 1));
            removed = true;
          } else {
            i += chunk;
          }
        }
      }
    }
    return cur;
  }

  /** A failure report: the shrunk sequence with both sides' lines at its last step. */
  static String report(List<Op> shrunk, Function<List<Op>, List<String>> oracle) {
    List<String> k = oracle.apply(shrunk);
    List<String> m = model(shrunk);
    StringBuilder sb = new StringBuilder("kernel and model differ; shortest failing sequence:\n");
    for (int i = 0; i < shrunk.size(); i++) {
      sb.append(String.format("  %3d %s%n", i, shrunk.get(i)));
    }
    int last = shrunk.size() - 1;
    sb.append("  kernel: ").append(k.get(last)).append('\n');
    sb.append("  model:  ").append(m.get(last)).append('\n');
    return sb.toString();
  }

  static Optional<String> check(List<Op> ops, Function<List<Op>, List<String>> oracle) {
    int at = firstMismatch(ops, oracle);
    if (at < 0) {
      return Optional.empty();
    }
    return Optional.of(report(shrink(ops, at, oracle), oracle));
  }

  // ---- the tests
  // --------------------------------------------------------------------------------

  @Test
  void modelAgreesWithTheKernel() {
    int steps = Integer.getInteger("vmalock.conformance.steps", 10_000);
    long seed = Long.getLong("vmalock.conformance.seed", 15L);
    long t0 = System.nanoTime();
    int done = 0;
    for (int run = 0; done < steps; run++) {
      int n = Math.min(RUN_LENGTH, steps - done);
      List<Op> ops = randomOps(seed + run, n);
      Optional<String> failure = check(ops, KernelConformanceTest::kernel);
      assertThat(failure).as("seed %d run %d", seed, run).isEmpty();
      done += n;
    }
    System.out.printf(
        "KernelConformanceTest: %d steps agree with the running kernel (seed %d, %d ms)%n",
        done, seed, (System.nanoTime() - t0) / 1_000_000);
  }

  /** The comparator catches an altered kernel trace and shrinks it to the altered step. */
  @Test
  void alteredKernelTraceFailsAndShrinks() {
    List<Op> ops = new ArrayList<>(randomOps(99, 300));
    Op planted = new Op('U', BASE + 5 * PAGE, 0, 0);
    ops.add(200, planted);
    // The altered kernel: munmap of length 0 reports EPERM where Linux reports EINVAL.
    Function<List<Op>, List<String>> altered =
        seq -> {
          List<String> lines = new ArrayList<>(kernel(seq));
          for (int i = 0; i < seq.size(); i++) {
            if (seq.get(i).kind() == 'U' && seq.get(i).len() == 0) {
              lines.set(i, lines.get(i).replace("EEINVAL|", "EEPERM|"));
            }
          }
          return lines;
        };
    assertThat(check(ops, KernelConformanceTest::kernel)).as("the real trace agrees").isEmpty();
    int at = firstMismatch(ops, altered);
    assertThat(at).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(200);
    List<Op> shrunk = shrink(ops, at, altered);
    assertThat(shrunk).hasSize(1);
    assertThat(shrunk.get(0).kind()).isEqualTo('U');
    assertThat(shrunk.get(0).len()).isZero();
    assertThat(report(shrunk, altered)).contains("EEPERM", "EEINVAL", "munmap(");
  }
}
