package io.github.vmalock.sim;

import io.github.vmalock.sim.callers.CallerKind;
import java.util.EnumMap;
import java.util.Map;

/**
 * Named workloads: a caller mix (and, for some, a retry rate) that exercises one kernel caller
 * against address-space writers. Every scenario must run with zero violations and zero leaked locks
 * on the faithful protocol, in every world.
 */
public enum Scenario {
  /** The headline: page faults against a concurrent mmap/munmap writer. */
  FAULT_STORM(
      "fault-storm",
      "page faults against a concurrent mmap/munmap writer (the headline)",
      0.0,
      "page-fault=1",
      "mmap=3",
      "munmap=1"),
  /** Page faults of which a fifth need {@code mmap_lock} ({@code VM_FAULT_RETRY}). */
  FAULT_RETRY(
      "fault-retry",
      "page faults, 20% of them VM_FAULT_RETRY (swap-in), with mmap/munmap",
      0.2,
      "page-fault=1",
      "mmap=3",
      "munmap=1"),
  /** Binder's shrinker and page install next to page faults. */
  BINDER(
      "binder",
      "binder shrinker (never blocks) and page install, page faults, mmap/munmap",
      0.0,
      "binder-shrinker=2",
      "binder-install=2",
      "page-fault=2",
      "mmap=3",
      "munmap=1"),
  /** TCP zerocopy receive. */
  TCP_ZEROCOPY(
      "tcp-zerocopy",
      "tcp_zerocopy_receive (find_tcp_vma) with mmap/munmap of the socket",
      0.0,
      "tcp-zerocopy=4",
      "page-fault=1",
      "mmap=3",
      "munmap=1"),
  /** The corrected BPF build-ID stack map. */
  BPF_STACKMAP(
      "bpf-stackmap",
      "BPF build-id stack map (corrected) with mmap/munmap/mprotect",
      0.0,
      "bpf-stackmap=2",
      "page-fault=2",
      "mmap=3",
      "munmap=1",
      "mprotect=1"),
  /** The {@code proc-maps-race} selftest's reader. */
  PROC_MAPS(
      "proc-maps",
      "/proc/pid/maps reads (lock_next_vma) against split/merge churn",
      0.0,
      "proc-maps=1",
      "page-fault=3",
      "mmap=3",
      "munmap=1",
      "mprotect=1"),
  /** VMAs recycled between two mms sharing a cache, under the readers' feet. */
  RECYCLE(
      "recycle",
      "page faults, binder, TCP while a neighbour mm sharing the VMA cache churns",
      0.0,
      "page-fault=4",
      "binder-install=1",
      "tcp-zerocopy=1",
      "mmap=3",
      "munmap=1"),
  /** Every correct caller at once. */
  MIXED(
      "mixed",
      "every correct caller at once, all three writers",
      0.1,
      "page-fault=8",
      "binder-shrinker=2",
      "binder-install=2",
      "tcp-zerocopy=2",
      "bpf-stackmap=1",
      "proc-maps=1",
      "mmap=3",
      "munmap=1",
      "mprotect=1");

  private final String label;
  private final String description;
  private final double retryRate;
  private final String[] mix;

  Scenario(String label, String description, double retryRate, String... mix) {
    this.label = label;
    this.description = description;
    this.retryRate = retryRate;
    this.mix = mix;
  }

  /**
   * The name used by {@code --scenario}.
   *
   * @return for example {@code "fault-storm"}
   */
  public String label() {
    return label;
  }

  /**
   * One line on what the scenario runs.
   *
   * @return the description
   */
  public String description() {
    return description;
  }

  /**
   * The page fault's retry rate in this scenario.
   *
   * @return a fraction in [0, 1]
   */
  public double retryRate() {
    return retryRate;
  }

  /**
   * The caller mix.
   *
   * @return weights by caller
   */
  public Map<CallerKind, Integer> mix() {
    return parseMix(String.join(",", mix));
  }

  /**
   * The mix as text, as {@code --mix} takes it.
   *
   * @return for example {@code "page-fault=1,mmap=1,munmap=1"}
   */
  public String mixText() {
    return String.join(",", mix);
  }

  /**
   * Applies this scenario's mix, retry rate and neighbour writers to a workload builder.
   *
   * @param b the builder
   * @return the builder
   */
  public Workload.Builder applyTo(Workload.Builder b) {
    return b.mix(mix()).retryRate(retryRate).neighbourWriters(neighbourWriters());
  }

  /**
   * Writer threads of the neighbour mm this scenario runs (see {@link
   * Workload#neighbourWriters()}).
   *
   * @return 1 for {@code recycle} and {@code mixed}, else 0
   */
  public int neighbourWriters() {
    return this == RECYCLE || this == MIXED ? 1 : 0;
  }

  /**
   * Finds a scenario by name, case-insensitive.
   *
   * @param name the name
   * @return the scenario
   * @throws IllegalArgumentException naming the value and listing the valid names
   */
  public static Scenario parse(String name) {
    for (Scenario s : values()) {
      if (s.label.equalsIgnoreCase(name.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown scenario '" + name + "'; valid scenarios: " + names());
  }

  /**
   * The valid names.
   *
   * @return comma-separated scenario names
   */
  public static String names() {
    StringBuilder sb = new StringBuilder();
    for (Scenario s : values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(s.label);
    }
    return sb.toString();
  }

  /**
   * Parses a caller mix: {@code name=weight} pairs separated by commas; a name without a weight has
   * weight 1.
   *
   * @param text for example {@code "page-fault=8,mmap=1,munmap=1"}
   * @return weights by caller
   * @throws IllegalArgumentException naming the bad part (unknown caller, bad or non-positive
   *     weight, duplicate, empty)
   */
  public static Map<CallerKind, Integer> parseMix(String text) {
    Map<CallerKind, Integer> m = new EnumMap<>(CallerKind.class);
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("mix is empty");
    }
    for (String part : text.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw new IllegalArgumentException("empty entry in mix '" + text + "'");
      }
      int eq = p.indexOf('=');
      CallerKind k = CallerKind.parse(eq < 0 ? p : p.substring(0, eq));
      int w = 1;
      if (eq >= 0) {
        String ws = p.substring(eq + 1).trim();
        try {
          w = Integer.parseInt(ws);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "weight of " + k.label() + " in mix must be a whole number, was '" + ws + "'", e);
        }
        if (w <= 0) {
          throw new IllegalArgumentException(
              "weight of " + k.label() + " in mix must be positive, was " + w);
        }
      }
      if (m.put(k, w) != null) {
        throw new IllegalArgumentException(k.label() + " appears twice in mix '" + text + "'");
      }
    }
    return m;
  }
}
