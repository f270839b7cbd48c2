/**
 * The simulator's command line ({@code java -jar vmalock-sim-VERSION-cli.jar}): the headline
 * comparison with no arguments, {@code run}, {@code scenarios}, {@code replay seed-v2}. Exit status
 * 0 when all is well, 1 when a run found an invariant violation or a leaked lock (or a replay did
 * not go as expected), 2 for bad input.
 */
package io.github.vmalock.sim.cli;
