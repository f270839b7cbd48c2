package io.github.vmalock.sim.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code vmalock-sim} command. With no arguments it runs the summary of the experiments in
 * quick mode (see {@link ExperimentCommand}); subcommands {@code experiment}, {@code run}, {@code
 * scenarios}, {@code replay}, {@code headline} (the earlier fault-storm comparison), {@code help}.
 */
@Command(
    name = "vmalock-sim",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    description = {
      "Simulates the Linux kernel's per-VMA locks: kernel callers before and after the series"
          + " \"mm: Unconditional per-VMA locks and cleanups\", against a model of mm_struct.",
      "With no arguments: the summary of the experiments in quick mode (each experiment's"
          + " published kernel figure against the model's, under a minute); 'experiment --list'"
          + " names them."
    },
    footer = {
      "",
      "Exit status: 0 ok; 1 an invariant violation or leaked lock was found (or a replay did"
          + " not go as expected); 2 bad input."
    },
    subcommands = {
      HeadlineCommand.class,
      ExperimentCommand.class,
      RunCommand.class,
      ScenariosCommand.class,
      ReplayCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Creates the command; picocli fills it. */
  public Main() {}

  /**
   * Runs the summary of the experiments in quick mode.
   *
   * @return the exit status
   */
  @Override
  public Integer call() {
    return ExperimentCommand.headline(spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  /**
   * Entry point: exits with the status of {@link #execute}.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    Charset cs = Charset.defaultCharset();
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
    int status = execute(args, out, err);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /**
   * Runs the command line without exiting: for tests and embedding.
   *
   * @param args command-line arguments
   * @param out standard output
   * @param err standard error
   * @return the exit status: 0 ok, 1 violations/leaks or failed replay, 2 bad input
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(Main::badInput);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          cmd.getErr().println("vmalock-sim: internal error: " + ex);
          cmd.getErr().flush();
          return 1;
        });
    int status = cl.execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /** Bad input: the message, a hint, exit status 2; never a stack trace. */
  private static int badInput(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("vmalock-sim: " + ex.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return 2;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "vmalock-sim " + (v == null ? "(development build)" : v),
        "Java "
            + System.getProperty("java.version")
            + " ("
            + System.getProperty("java.vm.name")
            + ")"
      };
    }
  }
}
