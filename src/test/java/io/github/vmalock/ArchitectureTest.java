package io.github.vmalock;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layer rules of {@code docs/architecture.md}, checked on the compiled main classes: each layer
 * depends only on layers below it, {@code sim} > {@code mm} > {@code maple} > {@code rcu} > {@code
 * locking}. The core packages use nothing outside the JDK (the library has no non-optional runtime
 * dependency; the simulator's optional libraries stay in {@code sim}). Inside {@code sim}: {@code
 * sim.world} < {@code sim.callers} < the runner ({@code sim}), the report, the experiments, the
 * CLI.
 */
@AnalyzeClasses(
    packages = "io.github.vmalock",
    importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  private static final String SIM = "io.github.vmalock.sim..";
  private static final String MM = "io.github.vmalock.mm..";
  private static final String MAPLE = "io.github.vmalock.maple..";
  private static final String RCU = "io.github.vmalock.rcu..";
  private static final String LOCKING = "io.github.vmalock.locking..";

  /** The whole order at once; the rules below say the same thing one edge at a time. */
  @ArchTest
  static final ArchRule LAYERS =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .withOptionalLayers(true)
          .layer("sim")
          .definedBy(SIM)
          .layer("mm")
          .definedBy(MM)
          .layer("maple")
          .definedBy(MAPLE)
          .layer("rcu")
          .definedBy(RCU)
          .layer("locking")
          .definedBy(LOCKING)
          .whereLayer("sim")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("mm")
          .mayOnlyBeAccessedByLayers("sim")
          .whereLayer("maple")
          .mayOnlyBeAccessedByLayers("mm", "sim")
          .whereLayer("rcu")
          .mayOnlyBeAccessedByLayers("maple", "mm", "sim")
          .whereLayer("locking")
          .mayOnlyBeAccessedByLayers("rcu", "maple", "mm", "sim");

  /**
   * The model holds the faithful protocol only: nothing in {@code mm}, {@code rcu}, {@code maple}
   * or {@code locking} refers to a known-bad variant ({@code io.github.vmalock.variants}), which
   * plugs in from above through {@code VmaLockProtocol} and {@code RcuProtocol}. {@link
   * ArchitectureFixtureTest} shows that the rule reports a class that breaks it.
   */
  @ArchTest
  static final ArchRule CORE_DOES_NOT_KNOW_VARIANTS =
      noClasses()
          .that()
          .resideInAnyPackage(MM, RCU, MAPLE, LOCKING)
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.github.vmalock.variants..")
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule MAPLE_LOCKING_RCU_DO_NOT_DEPEND_ON_MM =
      noClasses()
          .that()
          .resideInAnyPackage(MAPLE, LOCKING, RCU)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(MM, SIM)
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule MM_DOES_NOT_DEPEND_ON_SIM =
      noClasses()
          .that()
          .resideInAPackage(MM)
          .should()
          .dependOnClassesThat()
          .resideInAPackage(SIM)
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule MAPLE_DOES_NOT_KNOW_VMAS =
      noClasses()
          .that()
          .resideInAPackage(MAPLE)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(MM, SIM)
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule RCU_SITS_ON_LOCKING_ONLY =
      noClasses()
          .that()
          .resideInAPackage(RCU)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(MAPLE, MM, SIM)
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule LOCKING_IS_THE_BOTTOM =
      noClasses()
          .that()
          .resideInAPackage(LOCKING)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(RCU, MAPLE, MM, SIM)
          .allowEmptyShould(true);

  /**
   * The simulator's callers see the model, the simulated world and each other only: not the runner
   * ({@code io.github.vmalock.sim} itself), the report, the experiments or the CLI.
   */
  @ArchTest
  static final ArchRule SIM_CALLERS_DO_NOT_KNOW_THE_RUNNER =
      noClasses()
          .that()
          .resideInAPackage("io.github.vmalock.sim.callers..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "io.github.vmalock.sim",
              "io.github.vmalock.sim.report..",
              "io.github.vmalock.sim.experiment..",
              "io.github.vmalock.sim.cli..");

  /** The simulated world (layout, page table, shape and lock mode) uses no other sim package. */
  @ArchTest
  static final ArchRule SIM_WORLD_IS_THE_BOTTOM =
      noClasses()
          .that()
          .resideInAPackage("io.github.vmalock.sim.world..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "io.github.vmalock.sim",
              "io.github.vmalock.sim.callers..",
              "io.github.vmalock.sim.report..",
              "io.github.vmalock.sim.experiment..",
              "io.github.vmalock.sim.cli..");

  /** The report formats results; it does not know the experiments or the CLI. */
  @ArchTest
  static final ArchRule SIM_REPORT_DOES_NOT_KNOW_THE_CLI =
      noClasses()
          .that()
          .resideInAPackage("io.github.vmalock.sim.report..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.github.vmalock.sim.experiment..", "io.github.vmalock.sim.cli..");

  /** The core library has no runtime dependency: only the JDK and the library itself. */
  @ArchTest
  static final ArchRule CORE_USES_ONLY_THE_JDK =
      classes()
          .that()
          .resideInAnyPackage(MM, MAPLE, RCU, LOCKING)
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("java..", "io.github.vmalock..", "")
          .allowEmptyShould(true);
}
