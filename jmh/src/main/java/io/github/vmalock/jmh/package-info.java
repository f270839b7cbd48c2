/**
 * The user-facing benchmarks: the read side ({@code VmaLookupBench}), readers side by side ({@code
 * SameVmaSharingBench}), a reader beside a writer ({@code UnderWriterBench}), the writer's cost
 * ({@code WriterCostBench}), the range index ({@code MapleTreeBench}) and RCU ({@code RcuBench}),
 * each against what a Java user would use instead, whose code is in {@link
 * io.github.vmalock.jmh.baseline}. The diagnostics that take their numbers apart are in {@link
 * io.github.vmalock.jmh.diagnostics}; the results page generator is {@code
 * io.github.vmalock.jmh.report}. What they measure and the bars they are held to: {@code
 * docs/benchmarks.md}.
 */
package io.github.vmalock.jmh;
