/**
 * Diagnostics: benchmarks (and one plain main, {@code AllocationBySize}) that take a user-facing
 * benchmark's number apart, to say where its time or its bytes go. They answer questions about the
 * numbers of {@code io.github.vmalock.jmh} (why the fast path costs more at 65,536 VMAs, why a
 * reader slows down beside a writer it never waits for, what one cache miss costs on this machine)
 * and are not themselves claims about the model:
 *
 * <ul>
 *   <li>{@code FastPathCostBench} and {@code FastPathCostThpBench}: the fast path's ingredients,
 *       one at a time, and the same on transparent huge pages;
 *   <li>{@code WorkingSetBench}: the tree's extra level against the working set at 65,536 VMAs;
 *   <li>{@code MemoryLatencyBench}: one dependent load's latency by working-set size (a
 *       calibration);
 *   <li>{@code UnderWriterCauseBench} and {@code UnderWriterCauseEpsilonBench}: the
 *       under-the-writer slowdown, one cause at a time, and the same without garbage collection;
 *   <li>{@code TreeStoreBesideLoadBench}: what a copy-on-write store costs a reader of the same
 *       bare tree;
 *   <li>{@code AllocationBySize}: the bytes of an {@code mmap} + {@code munmap} cycle by layout
 *       size.
 * </ul>
 *
 * <p>The JMH smoke of the test command runs them with the rest; {@code docs/benchmarks.md} says
 * what each found.
 */
package io.github.vmalock.jmh.diagnostics;
