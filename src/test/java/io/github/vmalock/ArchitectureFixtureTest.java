package io.github.vmalock;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.EvaluationResult;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.archfixture.UsesVariant;
import org.junit.jupiter.api.Test;

/**
 * The variant rule of {@link ArchitectureTest} is not vacuous: evaluated on a class under {@code
 * mm} that names a variant it reports the violation, and on the real {@code MmStruct} it reports
 * none.
 */
class ArchitectureFixtureTest {

  @Test
  void variantRuleReportsACoreClassThatNamesAVariant() {
    JavaClasses fixture = new ClassFileImporter().importClasses(UsesVariant.class);
    EvaluationResult result = ArchitectureTest.CORE_DOES_NOT_KNOW_VARIANTS.evaluate(fixture);
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().getDetails())
        .anySatisfy(line -> assertThat(line).contains("UsesVariant").contains("ProtocolVariant"));
  }

  @Test
  void variantRuleAcceptsTheFaithfulMm() {
    JavaClasses core = new ClassFileImporter().importClasses(MmStruct.class);
    assertThat(ArchitectureTest.CORE_DOES_NOT_KNOW_VARIANTS.evaluate(core).hasViolation())
        .isFalse();
  }
}
