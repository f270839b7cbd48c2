package io.github.vmalock.sim;

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
 * the caller mix. Immutable; build with {@link #builder()}.
 *
 * <p>Reader threads run the mix's reader callers, writer threads its writer callers ({@code mmap},
 * {@code munmap}, {@code mprotect}), each picking a caller by weight for every operation. Thread
 * {@code i} draws its operations from a random source seeded with {@code seed} and {@code i}, so
 * the same seed gives every thread the same operation sequence; how the threads interleave is up to
 * the machine. A run lasts a {@link #duration()} or, when {@link #opsPerThread()} is positive,
 * until every reader thread has done that many operations (writers stop with the readers; with no
 * readers they do that many operations each).
 */
public final class Workload {
  private final World world;
  private final int threads;
  private final int writers;
  private final long opsPerThread;
  private final Duration duration;
  private final long seed;
  private final int vmas;
  private final Map<CallerKind, Integer> mix;
  private final double retryRate;
  private final boolean debug;
  private final ProtocolVariant variant;
  private final Duration stuckTimeout;
  private final int neighbourWriters;
  private final CostModel cost;

  private Workload(Builder b) {
    this.world = b.world;
    this.threads = b.threads;
    this.writers = b.writers;
    this.opsPerThread = b.opsPerThread;
    this.duration = b.duration;
    this.seed = b.seed;
    this.vmas = b.vmas;
    this.mix = Collections.unmodifiableMap(new EnumMap<>(b.mix));
    this.retryRate = b.retryRate;
    this.debug = b.debug;
    this.variant = b.variant;
    this.stuckTimeout = b.stuckTimeout;
    this.neighbourWriters = b.neighbourWriters;
    this.cost = b.cost;
  }

  /**
   * A builder with the defaults: {@link World#SERIES}, 2 reader threads, 1 writer, 2 seconds, seed
   * 42, 64 VMAs, page faults against mmap/munmap (3:1), no retries, debug off, the faithful
   * protocol.
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
   * The world.
   *
   * @return callers' shape and mm lock mode
   */
  public World world() {
    return world;
  }

  /**
   * Reader threads.
   *
   * @return the count
   */
  public int threads() {
    return threads;
  }

  /**
   * Writer threads.
   *
   * @return the count
   */
  public int writers() {
    return writers;
  }

  /**
   * Operations per reader thread, or 0 for a timed run.
   *
   * @return the count
   */
  public long opsPerThread() {
    return opsPerThread;
  }

  /**
   * How long a timed run lasts (ignored when {@link #opsPerThread()} is positive).
   *
   * @return the duration
   */
  public Duration duration() {
    return duration;
  }

  /**
   * The seed.
   *
   * @return the seed of every thread's operation sequence
   */
  public long seed() {
    return seed;
  }

  /**
   * Initial VMAs (slots of the layout).
   *
   * @return the count
   */
  public int vmas() {
    return vmas;
  }

  /**
   * The caller mix: weights by caller.
   *
   * @return an unmodifiable map with positive weights
   */
  public Map<CallerKind, Integer> mix() {
    return mix;
  }

  /**
   * The page fault's {@code VM_FAULT_RETRY} rate.
   *
   * @return a fraction in [0, 1]
   */
  public double retryRate() {
    return retryRate;
  }

  /**
   * Whether the mm runs in debug mode (lock tracking).
   *
   * @return the flag
   */
  public boolean debug() {
    return debug;
  }

  /**
   * The mm's protocol variant.
   *
   * @return {@link ProtocolVariant#FAITHFUL} unless a known-bad variant was asked for
   */
  public ProtocolVariant variant() {
    return variant;
  }

  /**
   * How long after the expected end the runner waits for a thread before reporting it stuck.
   *
   * @return the timeout
   */
  public Duration stuckTimeout() {
    return stuckTimeout;
  }

  /**
   * Writer threads churning a second mm that shares the first one's VMA cache, so that VMAs freed
   * by one address space are handed out again at once to the other ({@code SLAB_TYPESAFE_BY_RCU}
   * reuse across mms) and the readers' {@code vm_mm} re-check is exercised.
   *
   * @return the count, 0 for none
   */
  public int neighbourWriters() {
    return neighbourWriters;
  }

  /**
   * What the callers and writers spend while they hold their locks.
   *
   * @return the cost model, {@link CostModel#NONE} unless set
   */
  public CostModel cost() {
    return cost;
  }

  /**
   * Whether the run is timed (rather than counted).
   *
   * @return true for a duration run
   */
  public boolean timed() {
    return opsPerThread <= 0;
  }

  /**
   * The most initial VMAs a workload may have: half of {@link
   * io.github.vmalock.mm.MmStruct#DEFAULT_MAX_MAP_COUNT}, so that the writers' splits (each {@code
   * mprotect} of a page inside a VMA makes up to two more) stay below the limit.
   */
  public static final int MAX_VMAS = io.github.vmalock.mm.MmStruct.DEFAULT_MAX_MAP_COUNT / 2;

  /** Builder of {@link Workload}; {@link #build()} checks every value. */
  public static final class Builder {
    private World world = World.SERIES;
    private int threads = 2;
    private int writers = 1;
    private long opsPerThread;
    private Duration duration = Duration.ofSeconds(2);
    private long seed = 42;
    private int vmas = 64;
    private Map<CallerKind, Integer> mix = defaultMix();
    private double retryRate;
    private boolean debug;
    private ProtocolVariant variant = ProtocolVariant.FAITHFUL;
    private Duration stuckTimeout = Duration.ofSeconds(60);
    private int neighbourWriters;
    private CostModel cost = CostModel.NONE;

    private Builder() {}

    private static Map<CallerKind, Integer> defaultMix() {
      Map<CallerKind, Integer> m = new EnumMap<>(CallerKind.class);
      m.put(CallerKind.PAGE_FAULT, 1);
      m.put(CallerKind.MMAP, 3);
      m.put(CallerKind.MUNMAP, 1);
      return m;
    }

    /**
     * Sets the world.
     *
     * @param world the world
     * @return this builder
     */
    public Builder world(World world) {
      this.world = world;
      return this;
    }

    /**
     * Sets the reader threads.
     *
     * @param threads count, 0 to 1024
     * @return this builder
     */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * Sets the writer threads.
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
     * Makes the run timed.
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
     * Sets the seed.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets the number of initial VMAs.
     *
     * @param vmas at least {@link AddressLayout#MIN_SLOTS}
     * @return this builder
     */
    public Builder vmas(int vmas) {
      this.vmas = vmas;
      return this;
    }

    /**
     * Sets the caller mix.
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
     * Sets the page fault's retry rate.
     *
     * @param retryRate fraction in [0, 1]
     * @return this builder
     */
    public Builder retryRate(double retryRate) {
      this.retryRate = retryRate;
      return this;
    }

    /**
     * Turns the mm's debug mode on or off.
     *
     * @param debug the flag
     * @return this builder
     */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /**
     * Sets the mm's protocol variant.
     *
     * @param variant the variant
     * @return this builder
     */
    public Builder variant(ProtocolVariant variant) {
      this.variant = variant;
      return this;
    }

    /**
     * Sets the writer threads of the neighbour mm (see {@link Workload#neighbourWriters()}).
     *
     * @param n count, 0 to 64
     * @return this builder
     */
    public Builder neighbourWriters(int n) {
      this.neighbourWriters = n;
      return this;
    }

    /**
     * Sets the cost model (default {@link CostModel#NONE}: the model's own work only).
     *
     * @param cost the cost model
     * @return this builder
     */
    public Builder cost(CostModel cost) {
      this.cost = cost;
      return this;
    }

    /**
     * Sets how long the runner waits for a thread after the expected end.
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
      if (world == null
          || variant == null
          || duration == null
          || stuckTimeout == null
          || cost == null) {
        throw new IllegalArgumentException(
            "world, variant, duration, timeout and cost model are required");
      }
      if (threads < 0 || threads > 1024) {
        throw new IllegalArgumentException("threads must be between 0 and 1024, was " + threads);
      }
      if (writers < 0 || writers > 1024) {
        throw new IllegalArgumentException("writers must be between 0 and 1024, was " + writers);
      }
      if (neighbourWriters < 0 || neighbourWriters > 64) {
        throw new IllegalArgumentException(
            "neighbour writers must be between 0 and 64, was " + neighbourWriters);
      }
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
                + io.github.vmalock.mm.MmStruct.DEFAULT_MAX_MAP_COUNT
                + ": writers split VMAs, and mprotect can double their number), was "
                + vmas);
      }
      if (!(retryRate >= 0 && retryRate <= 1)) {
        throw new IllegalArgumentException("retry rate must be within [0, 1], was " + retryRate);
      }
      if (stuckTimeout.isNegative() || stuckTimeout.isZero()) {
        throw new IllegalArgumentException("stuck timeout must be positive, was " + stuckTimeout);
      }
      boolean readers = false;
      boolean writerOps = false;
      for (Map.Entry<CallerKind, Integer> e : mix.entrySet()) {
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
      if (mix.containsKey(CallerKind.BPF_STACKMAP_SEED_V2)
          && world.lockMode() != io.github.vmalock.mm.LockMode.PER_VMA) {
        throw new IllegalArgumentException(
            "bpf-stackmap-v2 needs per-VMA locks; world was " + world.label());
      }
      return new Workload(this);
    }
  }
}
