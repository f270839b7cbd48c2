package io.github.vmalock.jmh.diagnostics;

import org.openjdk.jmh.annotations.Fork;

/**
 * {@link FastPathCostBench} with the Java heap on transparent huge pages ({@code
 * -XX:+UseTransparentHugePages}, which asks the kernel for 2 MiB pages with {@code madvise}): if
 * the 65,536-VMA steps get much cheaper here, address translation (TLB misses over a heap of 4 KiB
 * pages) is part of what the size costs. Where the kernel does not grant huge pages the two classes
 * measure the same thing.
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"-XX:+UseTransparentHugePages"})
public class FastPathCostThpBench extends FastPathCostBench {}
