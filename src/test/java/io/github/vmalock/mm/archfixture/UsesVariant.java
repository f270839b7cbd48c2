package io.github.vmalock.mm.archfixture;

import io.github.vmalock.mm.VmaLockProtocol;
import io.github.vmalock.variants.ProtocolVariant;

/**
 * A deliberately breaking class for {@code ArchitectureFixtureTest}: it sits in a package under
 * {@code mm} and names a variant, which {@code ArchitectureTest.CORE_DOES_NOT_KNOW_VARIANTS}
 * forbids. Test sources only; the architecture rules import main classes only.
 */
public final class UsesVariant {

  private UsesVariant() {}

  /**
   * Returns a known-bad protocol from inside the core, the dependency the rule forbids.
   *
   * @return the protocol of {@link ProtocolVariant#NO_SEQ_RECHECK}
   */
  public static VmaLockProtocol broken() {
    return ProtocolVariant.NO_SEQ_RECHECK.protocol();
  }
}
