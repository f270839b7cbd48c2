package io.github.vmalock.jmh.diagnostics;

import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link UnderWriterCauseBench} under the Epsilon collector, which allocates and never collects:
 * whatever the writers still cost the reader here is not garbage collection. The heap is large
 * enough for a writer's whole fork (about 1 GB/s of allocation for the shortened warmup and
 * measurement below) and is not pre-touched, so the writers' first touch of new heap pages is
 * charged to the writers, which then run fewer cycles: compare the neighbour's ops/s too.
 */
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC", "-Xmx12g"})
public class UnderWriterCauseEpsilonBench extends UnderWriterCauseBench {}
