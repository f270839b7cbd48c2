package io.github.vmalock.sim;

import io.github.vmalock.mm.LockMode;
import io.github.vmalock.mm.MmStruct;
import io.github.vmalock.sim.callers.CallerKind;
import io.github.vmalock.sim.callers.CostModel;
import io.github.vmalock.sim.world.AddressLayout;
import io.github.vmalock.sim.world.World;
import io.github.vmalock.variants.ProtocolVariant;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one simulator run does: the world, the threads, how long, the seed, the number of VMAs and
 * the caller mix. Immutable; build with {@link #builder()} (the defaults) or the canonical
 * constructor (every value given), which checks every value.
 *
 * <p>Reader threads run the mix's reader callers, writer threads its writer callers ({@code mmap},
 * {@code munmap}, {@code mprotect}, ...), each picking a caller by weight for every operation.
 * Thread {@code i} draws its operations from a random source seeded with {@code seed} and {@code
 * i}, so the same seed gives every thread the same operation sequence; how the threads interleave
 * is up to the machine. A run lasts a {@link #duration()} or, when {@link #opsPerThread()} is
 * positive, until every reader thread has done that many operations (writers stop with the readers;
 * with no readers they do that many operations each).
 *
 * @param world the callers' shape and the mm's lock mode
 * @param threads reader threads, 0 to 1024
 * @param writers writer threads, 0 to 1024
 * @param opsPerThread operations per reader thread, or 0 for a timed run
 * @param duration how long a timed run lasts, positive when {@code opsPerThread} is 0 (ignored
 *     otherwise)
 * @param seed the seed of every thread's operation sequence
 * @param vmas initial VMAs (slots of the layout), {@link AddressLayout#MIN_SLOTS} to {@link
 *     #MAX_VMAS}
 * @param mix the caller mix: positive weights by caller (an unmodifiable copy is kept)
 * @param retryRate the page fault's {@code VM_FAULT_RETRY} rate, in [0, 1]
 * @param debug whether the mm runs in debug mode (lock tracking)
 * @param variant the mm's protocol variant ({@link ProtocolVariant#FAITHFUL} unless a known-bad
 *     variant is asked for)
 * @param stuckTimeout how long after the expected end the runner waits for a thread before
 *     reporting it stuck, positive
 * @param neighbourWriters writer threads, 0 to 64, churning a second mm that shares the first one's
 *     VMA cache, so that VMAs freed by one address space are handed out again at once to the other
 *     ({@code SLAB_TYPESAFE_BY_RCU} reuse across mms) and the readers' {@code vm_mm} re-check is
 *     exercised
 * @param cost what the callers and writers spend while they hold their locks ({@link
 *     CostModel#NONE}: the model's own work only)
 */
public record Workload(
    World world,
    int threads,
    int writers,
    long opsPerThread,
    Duration duration,
    long seed,
    int vmas,
    Map<CallerKind, Integer> mix,
    double retryRate,
    boolean debug,
    ProtocolVariant variant,
    Duration stuckTimeout,
    int neighbourWriters,
    CostModel cost) {

  /**
   * The most initial VMAs a workload may have: half of {@link MmStruct#DEFAULT_MAX_MAP_COUNT}, so
   * that the writers' splits (each {@code mprotect} of a page inside a VMA makes up to two more)
   * stay below the limit.
   */
  public static final int MAX_VMAS = MmStruct.DEFAULT_MAX_MAP_COUNT / 2;

  /**
   * Checks every value and keeps an unmodifiable copy of the mix.
   *
   * @throws IllegalArgumentException naming the first bad value and what it was
   */
  public Workload {
    requireNonNull(world, "world");
    requireNonNull(duration, "duration");
    requireNonNull(mix, "mix");
    requireNonNull(variant, "variant");
    requireNonNull(stuckTimeout, "stuck timeout");
    requireNonNull(cost, "cost model");
    range("threads", threads, 1024);
    range("writers", writers, 1024);
    range("neighbour writers", neighbourWriters, 64);
    if (opsPerThread < 0) {
      throw new IllegalArgumentException("ops must be positive, was " + opsPerThread);
    }
    if (opsPerThread == 0 && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("duration must be positive, was " + duration);
    }
    if (vmas < AddressLayout.MIN_SLOTS || vmas > MAX_VMAS) {
      throw new IllegalArgumentException(
          "vmas must be between "
              + AddressLayout.MIN_SLOTS
              + " and "
              + MAX_VMAS
              + " (half the map-count limit vm.max_map_count = "
              + MmStruct.DEFAULT_MAX_MAP_COUNT
              + ": writers split VMAs, and mprotect can double their number), was "
              + vmas);
    }
    if (!(retryRate >= 0 && retryRate <= 1)) {
      throw new IllegalArgumentException("retry rate must be within [0, 1], was " + retryRate);
    }
    if (stuckTimeout.isNegative() || stuckTimeout.isZero()) {
      throw new IllegalArgumentException("stuck timeout must be positive, was " + stuckTimeout);
    }
    mix = checkMix(mix, threads, writers);
    if (mix.containsKey(CallerKind.BPF_STACKMAP_SEED_V2) && world.lockMode() != LockMode.PER_VMA) {
      throw new IllegalArgumentException(
          "bpf-stackmap-v2 needs per-VMA locks; world was " + world.label());
    }
  }

  /**
   * A builder with the defaults: {@link World#SERIES}, 2 reader threads, 1 writer, 2 seconds, seed
   * 42, 64 VMAs, page faults against mmap/munmap (1:3:1), no retries, debug off, the faithful
   * protocol, a 60-second stuck timeout, no neighbour writers, {@link CostModel#NONE}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder initialised from this workload.
   *
   * @return a new builder with this workload's settings
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.world = world;
    b.threads = threads;
    b.writers = writers;
    b.opsPerThread = opsPerThread;
    b.duration = duration;
    b.seed = seed;
    b.vmas = vmas;
    b.mix = new EnumMap<>(mix);
    b.retryRate = retryRate;
    b.debug = debug;
    b.variant = variant;
    b.stuckTimeout = stuckTimeout;
    b.neighbourWriters = neighbourWriters;
    b.cost = cost;
    return b;
  }

  /**
   * Whether the run is timed (rather than counted).
   *
   * @return true for a duration run ({@link #opsPerThread()} is 0)
   */
  public boolean timed() {
    return opsPerThread <= 0;
  }

  private static void requireNonNull(Object value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + " is required, was null");
    }
  }

  private static void range(String name, int value, int max) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(name + " must be between 0 and " + max + ", was " + value);
    }
  }

  /** The mix's weights checked against the thread counts; returns an unmodifiable copy. */
  private static Map<CallerKind, Integer> checkMix(
      Map<CallerKind, Integer> mix, int threads, int writers) {
    boolean readers = false;
    boolean writerOps = false;
    for (Map.Entry<CallerKind, Integer> e : mix.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException("mix has a null caller");
      }
      if (e.getValue() == null || e.getValue() <= 0) {
        throw new IllegalArgumentException(
            "mix weight of " + e.getKey().label() + " must be positive, was " + e.getValue());
      }
      if (e.getKey().isWriter()) {
        writerOps = true;
      } else {
        readers = true;
      }
    }
    if (!readers && !writerOps) {
      throw new IllegalArgumentException("mix is empty");
    }
    if (readers && threads == 0) {
      throw new IllegalArgumentException("mix has reader callers but threads is 0");
    }
    if (writerOps && writers == 0) {
      throw new IllegalArgumentException(
          "mix has writer callers (mmap, munmap, mprotect) but writers is 0");
    }
    if (!writerOps && writers > 0) {
      throw new IllegalArgumentException(
          "writers is " + writers + " but the mix has no writer caller (mmap, munmap, mprotect)");
    }
    if (!readers && threads > 0) {
      throw new IllegalArgumentException(
          "threads is " + threads + " but the mix has no reader caller");
    }
    return Collections.unmodifiableMap(new EnumMap<>(mix));
  }

  /**
   * Builder of {@link Workload} over its components, starting from the defaults of {@link
   * #builder()}; {@link #build()} checks every value (the record's constructor does).
   */
  public static final class Builder {
    private World world = World.SERIES;
    private int threads = 2;
    private int writers = 1;
    private long opsPerThread;
    private Duration duration = Duration.ofSeconds(2);
    private long seed = 42;
    private int vmas = 64;
    private Map<CallerKind, Integer> mix =
        new EnumMap<>(Map.of(CallerKind.PAGE_FAULT, 1, CallerKind.MMAP, 3, CallerKind.MUNMAP, 1));
    private double retryRate;
    private boolean debug;
    private ProtocolVariant variant = ProtocolVariant.FAITHFUL;
    private Duration stuckTimeout = Duration.ofSeconds(60);
    private int neighbourWriters;
    private CostModel cost = CostModel.NONE;

    private Builder() {}

    /**
     * Sets {@link Workload#world()}.
     *
     * @param world the world
     * @return this builder
     */
    public Builder world(World world) {
      this.world = world;
      return this;
    }

    /**
     * Sets {@link Workload#threads()}, the reader threads.
     *
     * @param threads count, 0 to 1024
     * @return this builder
     */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * Sets {@link Workload#writers()}, the writer threads.
     *
     * @param writers count, 0 to 1024
     * @return this builder
     */
    public Builder writers(int writers) {
      this.writers = writers;
      return this;
    }

    /**
     * Makes the run counted: each reader thread does this many operations.
     *
     * @param ops positive count, or 0 for a timed run
     * @return this builder
     */
    public Builder opsPerThread(long ops) {
      this.opsPerThread = ops;
      return this;
    }

    /**
     * Makes the run timed (sets {@link Workload#opsPerThread()} back to 0).
     *
     * @param duration positive duration
     * @return this builder
     */
    public Builder duration(Duration duration) {
      this.duration = duration;
      this.opsPerThread = 0;
      return this;
    }

    /**
     * Sets {@link Workload#seed()}.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets {@link Workload#vmas()}, the number of initial VMAs.
     *
     * @param vmas {@link AddressLayout#MIN_SLOTS} to {@link Workload#MAX_VMAS}
     * @return this builder
     */
    public Builder vmas(int vmas) {
      this.vmas = vmas;
      return this;
    }

    /**
     * Sets {@link Workload#mix()}, the caller mix (copied).
     *
     * @param mix positive weights by caller
     * @return this builder
     */
    public Builder mix(Map<CallerKind, Integer> mix) {
      this.mix = new EnumMap<>(CallerKind.class);
      this.mix.putAll(mix);
      return this;
    }

    /**
     * Sets {@link Workload#retryRate()}, the page fault's retry rate.
     *
     * @param retryRate fraction in [0, 1]
     * @return this builder
     */
    public Builder retryRate(double retryRate) {
      this.retryRate = retryRate;
      return this;
    }

    /**
     * Turns the mm's debug mode on or off ({@link Workload#debug()}).
     *
     * @param debug the flag
     * @return this builder
     */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /**
     * Sets {@link Workload#variant()}, the mm's protocol variant.
     *
     * @param variant the variant
     * @return this builder
     */
    public Builder variant(ProtocolVariant variant) {
      this.variant = variant;
      return this;
    }

    /**
     * Sets {@link Workload#neighbourWriters()}, the writer threads of the neighbour mm.
     *
     * @param n count, 0 to 64
     * @return this builder
     */
    public Builder neighbourWriters(int n) {
      this.neighbourWriters = n;
      return this;
    }

    /**
     * Sets {@link Workload#cost()}, the cost model.
     *
     * @param cost the cost model
     * @return this builder
     */
    public Builder cost(CostModel cost) {
      this.cost = cost;
      return this;
    }

    /**
     * Sets {@link Workload#stuckTimeout()}, how long the runner waits for a thread after the
     * expected end.
     *
     * @param timeout positive duration
     * @return this builder
     */
    public Builder stuckTimeout(Duration timeout) {
      this.stuckTimeout = timeout;
      return this;
    }

    /**
     * Checks the settings and builds the workload.
     *
     * @return the workload
     * @throws IllegalArgumentException naming the first bad setting and its value
     */
    public Workload build() {
      return new Workload(
          world,
          threads,
          writers,
          opsPerThread,
          duration,
          seed,
          vmas,
          mix,
          retryRate,
          debug,
          variant,
          stuckTimeout,
          neighbourWriters,
          cost);
    }
  }
}
