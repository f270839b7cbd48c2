package io.github.vmalock.jmh.diagnostics;

import io.github.vmalock.jmh.MmLayout;
import io.github.vmalock.jmh.UnderWriterBench;
import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.mm.VmArea;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Why the fast-path reader slows down beside {@link UnderWriterBench}'s writer although it never
 * waits for it: a diagnostic that runs the same reader ({@code lockVmaUnderRcu} + {@code endRead}
 * on random addresses of 4,096 VMAs) beside neighbours that add one cause at a time, in one fork
 * configuration, with the reader alone ({@link #alone}) as the reference.
 *
 * <ul>
 *   <li>{@link Neighbour#SPIN}: a thread that only computes ({@code Blackhole.consumeCPU}): the
 *       cost of the other CPU being busy at all (on a virtual machine the two CPUs may share a
 *       physical core or its caches).
 *   <li>{@link Neighbour#OTHER_MM_WRITER}: the writer's {@code mmap} + {@code munmap} loop on a
 *       second mm of the same layout: its allocation, garbage collections, RCU callbacks and memory
 *       traffic, but none of the reader's tree nodes or {@code mm_struct} lines.
 *   <li>{@link Neighbour#WRITE_LOCK}: the reader's own mm's write lock taken and dropped twice
 *       after {@code Blackhole.consumeCPU(1280)} (about 2.5 us, an {@code mmap} + {@code munmap}
 *       cycle's time on a second mm): the writer's lock and {@code mm_lock_seq} traffic at the
 *       writer's rate, without its tree stores.
 *   <li>{@link Neighbour#WRITER}: the real thing, on the reader's own mm (as {@link
 *       UnderWriterBench}): in addition, every store replaces the root and path of the tree the
 *       reader walks, and bumps the {@code mm_lock_seq} it reads.
 * </ul>
 *
 * <p>{@link UnderWriterCauseEpsilonBench} runs the same with the Epsilon collector (no collections
 * at all), which separates the collections' share of the writers' cost from the rest.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class UnderWriterCauseBench {

  /** What runs on the other CPU beside the reader. */
  public enum Neighbour {
    /** Computation only. */
    SPIN,
    /** {@code mmap} + {@code munmap} in the far region of a second mm. */
    OTHER_MM_WRITER,
    /** Computation, then two write-lock periods on the reader's mm. */
    WRITE_LOCK,
    /** {@code mmap} + {@code munmap} in the far region of the reader's mm. */
    WRITER
  }

  /** The reader's address space (and the other mm), for {@link #alone} and the groups. */
  @State(Scope.Benchmark)
  public static class Space {
    /** Number of VMAs the reader looks up in. */
    @Param({"4096"})
    public int size;

    MmStruct mm;
    long[] addrs;

    /** Maps the layout. */
    @Setup(Level.Trial)
    public void setUp() {
      mm = MmLayout.populate(size, LockMode.PER_VMA);
      addrs = MmLayout.addresses(size, 0);
      MmLayout.compact();
    }

    /** The reader and any writer leaked no reference and left the layout as they found it. */
    @TearDown(Level.Trial)
    public void check() {
      MmLayout.checkAtRest(mm, size);
    }
  }

  /** The neighbour of a group, and the second mm its {@code OTHER_MM_WRITER} writes to. */
  @State(Scope.Group)
  public static class Beside {
    /** What runs beside the reader. */
    @Param({"SPIN", "OTHER_MM_WRITER", "WRITE_LOCK", "WRITER"})
    public Neighbour neighbour;

    MmStruct other;

    /** Maps the second mm for {@link Neighbour#OTHER_MM_WRITER}. */
    @Setup(Level.Trial)
    public void setUp(Space space) {
      if (neighbour == Neighbour.OTHER_MM_WRITER) {
        other = MmLayout.populate(space.size, LockMode.PER_VMA);
        MmLayout.compact();
      }
    }
  }

  /** The reader's position in the stream and its fallbacks to {@code mmap_lock} (expected 0). */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Reader {
    /** Lookups this iteration whose fast path returned null. */
    public long fallbacks;

    int next;

    /** Counters are per iteration. */
    @Setup(Level.Iteration)
    public void reset() {
      fallbacks = 0;
    }
  }

  private static long read(Space space, Reader reader) {
    int k = reader.next;
    reader.next = MmLayout.nextAddress(k);
    long addr = space.addrs[k];
    VmArea vma = space.mm.lockVmaUnderRcu(addr);
    if (vma == null) {
      reader.fallbacks++;
      return -1;
    }
    long start = vma.start();
    vma.endRead();
    return start;
  }

  /**
   * The reader with nothing beside it: the reference for the groups' reader.
   *
   * @return the found VMA's start
   */
  @Benchmark
  public long alone(Space space, Reader reader) {
    return read(space, reader);
  }

  /**
   * The group's reader.
   *
   * @return the found VMA's start (-1 if the fast path failed)
   */
  @Benchmark
  @Group("beside")
  @GroupThreads(1)
  public long reader(Space space, Reader reader) {
    return read(space, reader);
  }

  /**
   * The group's neighbour: one step of {@link Beside#neighbour}.
   *
   * @return the mapped VMA (a hint, consumed, never dereferenced), or null for {@code SPIN}
   */
  @Benchmark
  @Group("beside")
  @GroupThreads(1)
  public VmArea neighbour(Space space, Beside beside) {
    switch (beside.neighbour) {
      case SPIN:
        Blackhole.consumeCPU(512);
        return null;
      case OTHER_MM_WRITER:
        return cycle(beside.other);
      case WRITE_LOCK:
        Blackhole.consumeCPU(1280);
        writeLockPeriod(space.mm);
        writeLockPeriod(space.mm);
        return null;
      case WRITER:
        return cycle(space.mm);
    }
    throw new AssertionError(beside.neighbour);
  }

  private static void writeLockPeriod(MmStruct mm) {
    mm.mmapWriteLock();
    mm.mmapWriteUnlock();
  }

  private static VmArea cycle(MmStruct mm) {
    VmArea vma = mm.mmap(MmLayout.FAR, MmLayout.FAR_LENGTH, MmLayout.FLAGS);
    mm.munmap(MmLayout.FAR, MmLayout.FAR_LENGTH);
    return vma;
  }
}
