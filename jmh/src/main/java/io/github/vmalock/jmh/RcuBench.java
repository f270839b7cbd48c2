package io.github.vmalock.jmh;

import io.github.vmalock.rcu.Rcu;
import io.github.vmalock.variants.RcuVariant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of {@code rcu_read_lock()}/{@code rcu_read_unlock()} in the {@link Rcu} domain against
 * an uncontended {@link AtomicInteger} increment/decrement pair (what a reference count would cost
 * a reader), and the latency of {@code synchronize_rcu()} with no reader and with one reader thread
 * looping short sections.
 *
 * <ul>
 *   <li>{@code readLockUnlock}: {@link Rcu#readLock()} + {@link Rcu#readUnlock()} (a {@code
 *       ThreadLocal} lookup, then the handle's work).
 *   <li>{@code handleLockUnlock}: {@link Rcu.Reader#lock()} + {@link Rcu.Reader#unlock()}: one
 *       store and a full fence on entry, one release store on exit.
 *   <li>{@code atomicIncDec}: the baseline, {@link AtomicInteger#incrementAndGet()} + {@link
 *       AtomicInteger#decrementAndGet()}, two locked read-modify-writes.
 *   <li>{@code synchronizeNoReaders}: {@link Rcu#synchronize()} with no reader in flight.
 *   <li>{@code syncWithReader}: group of one thread calling {@link Rcu#synchronize()} and one
 *       looping short read sections.
 * </ul>
 *
 * Each read benchmark loads a field inside the section and returns it, so the section is not empty
 * and the result is consumed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RcuBench {

  /** One faithful domain shared by the benchmark's threads, without a reclaimer thread. */
  @State(Scope.Benchmark)
  public static class Domain {
    Rcu rcu;

    /** A field the read sections load, standing in for RCU-protected data. */
    volatile int protectedValue = 42;

    @Setup(Level.Trial)
    public void setUp() {
      rcu = Rcu.builder().protocol(RcuVariant.FAITHFUL.protocol()).reclaimerThread(false).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      rcu.close();
    }
  }

  /** Per-thread state: the thread's reader handle and its private (uncontended) counter. */
  @State(Scope.Thread)
  public static class PerThread {
    Rcu.Reader reader;
    final AtomicInteger counter = new AtomicInteger();
    int plain = 7;

    @Setup(Level.Trial)
    public void setUp(Domain d) {
      reader = d.rcu.reader(); // runs on the thread that owns this state
    }
  }

  @Benchmark
  public int readLockUnlock(Domain d, PerThread t) {
    Rcu rcu = d.rcu;
    rcu.readLock();
    int v = t.plain;
    rcu.readUnlock();
    return v;
  }

  @Benchmark
  public int handleLockUnlock(PerThread t) {
    Rcu.Reader r = t.reader;
    r.lock();
    int v = t.plain;
    r.unlock();
    return v;
  }

  @Benchmark
  public int atomicIncDec(PerThread t) {
    t.counter.incrementAndGet();
    return t.counter.decrementAndGet();
  }

  @Benchmark
  public long synchronizeNoReaders(Domain d) {
    d.rcu.synchronize();
    return d.rcu.pollState(); // consumes the grace period's effect: the advanced epoch
  }

  @Benchmark
  @Group("syncWithReader")
  @GroupThreads(1)
  public long syncWithReaderUpdater(Domain d) {
    d.rcu.synchronize();
    return d.rcu.pollState();
  }

  @Benchmark
  @Group("syncWithReader")
  @GroupThreads(1)
  public int syncWithReaderReader(Domain d, PerThread t) {
    Rcu.Reader r = t.reader;
    r.lock();
    int v = d.protectedValue;
    r.unlock();
    return v;
  }
}
