package io.github.vmalock.mm;

/** TEMPORARY stand-in until the mm-fidelity branch is merged. */
public interface WriterWork {
  enum Op {
    MMAP,
    MUNMAP,
    MPROTECT
  }

  WriterWork NONE = new WriterWork() {};

  default void underWriteLock(Op op, long pages) {}

  default void afterDowngrade(Op op, long pages) {}
}
