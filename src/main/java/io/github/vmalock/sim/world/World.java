package io.github.vmalock.sim.world;

import io.github.vmalock.mm.LockMode;
import java.util.List;
import java.util.Locale;

/**
 * One of the three valid combinations of the callers' {@link SeriesShape} and the mm's {@link
 * LockMode}: a kernel without per-VMA locks ({@code BEFORE+MMAP_LOCK_ONLY}), a kernel with them
 * before the series ({@code BEFORE+PER_VMA}) and the series ({@code AFTER+PER_VMA}).
 *
 * @param shape the callers' shape
 * @param lockMode the mm's lock mode
 */
public record World(SeriesShape shape, LockMode lockMode) {

  /** A kernel built without per-VMA locks ({@code CONFIG_PER_VMA_LOCK=n}) before the series. */
  public static final World NO_PER_VMA_LOCKS =
      new World(SeriesShape.BEFORE, LockMode.MMAP_LOCK_ONLY);

  /** A kernel with per-VMA locks and the upstream callers, before the series. */
  public static final World PER_VMA_BEFORE = new World(SeriesShape.BEFORE, LockMode.PER_VMA);

  /** The series applied: per-VMA locks universal, callers rewritten. */
  public static final World SERIES = new World(SeriesShape.AFTER, LockMode.PER_VMA);

  /**
   * Validates the combination.
   *
   * @throws IllegalArgumentException if either is null, or for {@code AFTER} with {@code
   *     MMAP_LOCK_ONLY} (the series' callers need per-VMA locks)
   */
  public World {
    if (shape == null || lockMode == null) {
      throw new IllegalArgumentException("shape and lockMode must not be null");
    }
    if (shape == SeriesShape.AFTER && lockMode != LockMode.PER_VMA) {
      throw new IllegalArgumentException(
          "shape AFTER needs lock mode PER_VMA (the series makes per-VMA locks universal), was "
              + lockMode);
    }
  }

  /**
   * The three valid worlds, oldest kernel first.
   *
   * @return {@code NO_PER_VMA_LOCKS, PER_VMA_BEFORE, SERIES}
   */
  public static List<World> all() {
    return List.of(NO_PER_VMA_LOCKS, PER_VMA_BEFORE, SERIES);
  }

  /**
   * Parses a label as printed by {@link #label()}, case-insensitive.
   *
   * @param label for example {@code "AFTER+PER_VMA"}
   * @return the world
   * @throws IllegalArgumentException naming the label and the valid ones if it names none
   */
  public static World parse(String label) {
    for (World w : all()) {
      if (w.label().equalsIgnoreCase(label.trim())) {
        return w;
      }
    }
    throw new IllegalArgumentException(
        "unknown world '" + label + "'; valid worlds: " + labels(all()));
  }

  private static String labels(List<World> worlds) {
    StringBuilder sb = new StringBuilder();
    for (World w : worlds) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(w.label());
    }
    return sb.toString();
  }

  /**
   * The label used in reports.
   *
   * @return {@code SHAPE+LOCK_MODE}, for example {@code BEFORE+MMAP_LOCK_ONLY}
   */
  public String label() {
    return shape.name() + "+" + lockMode.name();
  }

  /**
   * A one-line description for reports.
   *
   * @return what kernel this world stands for
   */
  public String description() {
    if (lockMode == LockMode.MMAP_LOCK_ONLY) {
      return "kernel without per-VMA locks (CONFIG_PER_VMA_LOCK=n)";
    }
    return shape == SeriesShape.BEFORE
        ? "per-VMA locks, upstream callers with mmap_lock fallbacks"
        : "the series: per-VMA locks universal, vma_start_read_unlocked()";
  }

  @Override
  public String toString() {
    return label().toLowerCase(Locale.ROOT);
  }
}
