package io.github.vmalock.sim.cli;

import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.callers.Hold;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The cost-model options shared by {@code run} and {@code experiment}: the base model, per-caller
 * holds, the writers' per-page costs and the page scale. Every value is checked with a message
 * naming the option, the value and the accepted range or form (exit status 2).
 */
final class CostOptions {
  @Option(
      names = "--cost-model",
      paramLabel = "kernel|none",
      description =
          "Base cost model: 'kernel' (the kernel figures of docs/experiments.md) or 'none' (the"
              + " model alone). Default: none for run, kernel for experiment.")
  String base;

  @Option(
      names = "--hold",
      paramLabel = "CALLER=CPU[,OFF[@RATE]]",
      description =
          "What a reader caller spends while holding its lock: CPU work, then OFF time off the"
              + " CPU for a fraction RATE (0-1, default 1) of calls; durations take ns, us, ms, s."
              + " Repeatable. Example: --hold proc-maps=136ns,2.8ms@0.5")
  List<String> holds = new ArrayList<>();

  @Option(
      names = "--unmap-page",
      paramLabel = "DURATION",
      description = "Writers' page-table teardown per page (munmap, MAP_FIXED).")
  String unmapPage;

  @Option(
      names = "--protect-page",
      paramLabel = "DURATION",
      description = "Writers' change_protection per page (mprotect).")
  String protectPage;

  @Option(
      names = "--page-scale",
      paramLabel = "N",
      description = "Kernel pages per model page for the writers' per-page work (1-4096).")
  Integer pageScale;

  /** The holds the user set, by caller (for experiments: they win over a scenario's). */
  Map<CallerKind, Hold> userHolds(CommandLine cmd) {
    Map<CallerKind, Hold> m = new EnumMap<>(CallerKind.class);
    for (String h : holds) {
      int eq = h.indexOf('=');
      if (eq <= 0) {
        throw bad(
            cmd, "--hold", h, "expected CALLER=CPU[,OFF[@RATE]], for example page-fault=10us");
      }
      CallerKind k;
      Hold hold;
      try {
        k = CallerKind.parse(h.substring(0, eq));
        hold = Hold.parse(h.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw bad(cmd, "--hold", h, e.getMessage());
      }
      if (k.isWriter()) {
        throw bad(
            cmd,
            "--hold",
            h,
            k.label() + " is a writer: writers are costed per page (--unmap-page, --protect-page)");
      }
      m.put(k, hold);
    }
    return m;
  }

  /**
   * The cost model the options describe.
   *
   * @param cmd the command, for error messages
   * @param defaultKernel whether the base defaults to {@code kernel}
   * @return the model
   * @throws CommandLine.ParameterException naming the bad option
   */
  CostModel build(CommandLine cmd, boolean defaultKernel) {
    String b = base == null ? (defaultKernel ? "kernel" : "none") : base.toLowerCase(Locale.ROOT);
    CostModel.Builder builder;
    switch (b) {
      case "kernel" -> builder = CostModel.kernel();
      case "none" -> builder = CostModel.builder();
      default -> throw bad(cmd, "--cost-model", base, "expected 'kernel' or 'none'");
    }
    for (Map.Entry<CallerKind, Hold> e : userHolds(cmd).entrySet()) {
      builder.hold(e.getKey(), e.getValue());
    }
    try {
      if (unmapPage != null) {
        builder.unmapPageNanos(Hold.parseNanos(unmapPage));
      }
    } catch (IllegalArgumentException e) {
      throw bad(cmd, "--unmap-page", unmapPage, e.getMessage());
    }
    try {
      if (protectPage != null) {
        builder.protectPageNanos(Hold.parseNanos(protectPage));
      }
    } catch (IllegalArgumentException e) {
      throw bad(cmd, "--protect-page", protectPage, e.getMessage());
    }
    if (pageScale != null) {
      RunCommand.range(cmd, "--page-scale", pageScale, 1, 4096);
      builder.pageScale(pageScale);
    }
    return builder.build();
  }

  private static CommandLine.ParameterException bad(
      CommandLine cmd, String option, String value, String why) {
    return new CommandLine.ParameterException(
        cmd, "Invalid value for option '" + option + "': '" + value + "': " + why);
  }
}
