package io.github.vmalock.rcu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.vmalock.variants.RcuVariant;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What a domain reports (stall reports, dead readers, callback errors), its {@code toString}, the
 * nesting-overflow error, and two lock-release contracts, as pinned for the mutation run
 * (docs/mutation-testing.md). The default reports go to the {@link System.Logger} named after
 * {@link Rcu}; on the class path that logger is backed by {@code java.util.logging}, so a handler
 * on the {@code java.util.logging} logger of the same name captures them.
 */
class RcuReportingTest {

  private static final Duration BOUND = Duration.ofSeconds(30);

  /** Strong reference: java.util.logging keeps loggers only weakly. */
  private Logger julLogger;

  private boolean parentHandlers;
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final CountDownLatch stallLogged = new CountDownLatch(1);
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          records.add(r);
          if (r.getLevel() == Level.WARNING && text(r).startsWith("RCU stall")) {
            stallLogged.countDown();
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void installHandler() {
    julLogger = Logger.getLogger(Rcu.class.getName());
    parentHandlers = julLogger.getUseParentHandlers();
    julLogger.setUseParentHandlers(false);
    julLogger.addHandler(capture);
  }

  @AfterEach
  void removeHandler() {
    julLogger.removeHandler(capture);
    julLogger.setUseParentHandlers(parentHandlers);
  }

  private static String text(LogRecord r) {
    return new SimpleFormatter().formatMessage(r);
  }

  private List<LogRecord> recordsAt(Level level) {
    return records.stream().filter(r -> r.getLevel() == level).toList();
  }

  private static Rcu.Builder faithful() {
    return Rcu.builder().protocol(RcuVariant.FAITHFUL.protocol()).reclaimerThread(false);
  }

  /** Starts a thread that enters a section of {@code rcu} and terminates without leaving it. */
  private static Thread dieInsideSection(Rcu rcu, String name) throws InterruptedException {
    Thread t = new Thread(rcu::readLock, name);
    t.start();
    t.join();
    return t;
  }

  @Test
  @DisplayName("a reader that died inside its section is logged as such and not waited for")
  void deadReaderIsLogged() throws InterruptedException {
    try (Rcu rcu = faithful().build()) {
      dieInsideSection(rcu, "rcu-dead-reader");
      assertTimeoutPreemptively(BOUND, rcu::synchronize);
      List<LogRecord> warnings = recordsAt(Level.WARNING);
      assertThat(warnings).hasSize(1);
      assertThat(text(warnings.get(0)))
          .contains("\"rcu-dead-reader\"")
          .contains("died inside a read-side critical section");
    }
  }

  @Test
  @DisplayName("a stall listener that throws is logged at ERROR and the grace period goes on")
  void throwingStallListenerIsLogged() throws InterruptedException {
    RuntimeException boom = new IllegalStateException("listener failure");
    AtomicInteger calls = new AtomicInteger();
    try (Rcu rcu =
        faithful()
            .stallListener(
                (reader, waited, died) -> {
                  calls.incrementAndGet();
                  throw boom;
                })
            .build()) {
      dieInsideSection(rcu, "rcu-dead-reader-2");
      assertTimeoutPreemptively(BOUND, rcu::synchronize);
      assertThat(calls).hasValue(1);
      List<LogRecord> errors = recordsAt(Level.SEVERE);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0).getThrown()).isSameAs(boom);
      assertThat(text(errors.get(0))).contains("stall listener");
      assertThat(recordsAt(Level.WARNING)).isEmpty(); // the listener replaces the default report
    }
  }

  @Test
  @DisplayName("a reader staying past the stall timeout is logged as a stall, and still waited for")
  void stallIsLogged() throws Exception {
    try (Rcu rcu = faithful().stallTimeout(Duration.ofMillis(1)).build()) {
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread reader =
          new Thread(
              () -> {
                rcu.readLock();
                try {
                  inside.countDown();
                  release.await(BOUND.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  failure.set(e);
                } finally {
                  rcu.readUnlock();
                }
              },
              "rcu-slow-reader");
      reader.start();
      assertThat(inside.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
      CountDownLatch synced = new CountDownLatch(1);
      Thread updater =
          new Thread(
              () -> {
                rcu.synchronize();
                synced.countDown();
              });
      updater.start();
      boolean logged = stallLogged.await(BOUND.toSeconds(), TimeUnit.SECONDS);
      boolean returnedEarly = synced.getCount() == 0;
      release.countDown();
      assertThat(synced.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
      reader.join();
      updater.join();
      assertThat(failure.get()).isNull();
      assertThat(logged).as("stall report logged").isTrue();
      assertThat(returnedEarly).as("synchronize() returned while the reader was inside").isFalse();
      LogRecord first =
          recordsAt(Level.WARNING).stream()
              .filter(r -> text(r).startsWith("RCU stall"))
              .findFirst()
              .orElseThrow();
      assertThat(text(first)).contains("\"rcu-slow-reader\"").doesNotContain("died");
    }
  }

  @Test
  @DisplayName("without a handler, an exception thrown by a callback is logged at ERROR")
  void callbackErrorLoggedByDefault() {
    RuntimeException boom = new IllegalArgumentException("callback failure");
    AtomicInteger after = new AtomicInteger();
    try (Rcu rcu = faithful().build()) {
      rcu.callRcu(
          () -> {
            throw boom;
          });
      rcu.callRcu(after::incrementAndGet);
      rcu.barrier();
      assertThat(after).hasValue(1);
      List<LogRecord> errors = recordsAt(Level.SEVERE);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0).getThrown()).isSameAs(boom);
    }
  }

  @Test
  @DisplayName("a throwing error handler's exception is logged with the callback's as suppressed")
  void throwingErrorHandlerIsLogged() {
    RuntimeException boom = new IllegalArgumentException("callback failure");
    RuntimeException handlerBoom = new IllegalStateException("handler failure");
    List<Throwable> handled = new CopyOnWriteArrayList<>();
    try (Rcu rcu =
        faithful()
            .callbackErrorHandler(
                e -> {
                  handled.add(e);
                  throw handlerBoom;
                })
            .build()) {
      rcu.callRcu(
          () -> {
            throw boom;
          });
      rcu.barrier();
      assertThat(handled).containsExactly(boom);
      assertThat(handlerBoom.getSuppressed()).containsExactly(boom);
      List<LogRecord> errors = recordsAt(Level.SEVERE);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0).getThrown()).isSameAs(handlerBoom);
    }
  }

  @Test
  @DisplayName("toString names the domain's state, and whether it is closed")
  void toStringShowsState() {
    Rcu rcu = faithful().build();
    rcu.synchronize();
    String open = rcu.toString();
    assertThat(open)
        .startsWith("Rcu[id=")
        .doesNotContain("protocol=")
        .contains("completed=")
        .doesNotContain("closed");
    rcu.close();
    assertThat(rcu.toString()).endsWith(", closed]");
  }

  @Test
  @DisplayName("pollStateSynchronized returns false, without waiting, while a reader is inside")
  void pollStateSynchronizedDoesNotWaitForReader() throws InterruptedException {
    try (Rcu rcu = faithful().build()) {
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread reader =
          new Thread(
              () -> {
                rcu.readLock();
                try {
                  inside.countDown();
                  release.await(BOUND.toSeconds(), TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  rcu.readUnlock();
                }
              });
      reader.start();
      try {
        assertThat(inside.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
        long cookie = rcu.pollState();
        boolean done = assertTimeoutPreemptively(BOUND, () -> rcu.pollStateSynchronized(cookie));
        assertThat(done).isFalse();
        release.countDown();
        reader.join();
        assertTimeoutPreemptively(BOUND, rcu::synchronize);
        assertThat(rcu.pollStateSynchronized(cookie)).isTrue();
      } finally {
        release.countDown();
        reader.join();
      }
    }
  }

  @Test
  @DisplayName("running callbacks on one thread does not keep another thread's from running")
  void callbackRunnerReleasesLock() {
    assertTimeoutPreemptively(
        BOUND,
        () -> {
          try (Rcu rcu = faithful().build()) {
            AtomicInteger ran = new AtomicInteger();
            Thread other =
                new Thread(
                    () -> {
                      rcu.callRcu(ran::incrementAndGet);
                      rcu.synchronize();
                    });
            other.start();
            other.join();
            assertThat(ran).hasValue(1);
            rcu.callRcu(ran::incrementAndGet);
            rcu.synchronize();
            assertThat(ran).hasValue(2);
          }
        });
  }

  @Test
  @DisplayName("nesting beyond Integer.MAX_VALUE throws IllegalStateException and keeps the depth")
  void nestingOverflow() {
    for (RcuVariant v : List.of(RcuVariant.FAITHFUL, RcuVariant.RELEASE_PUBLICATION)) {
      try (Rcu rcu = Rcu.builder().protocol(v.protocol()).reclaimerThread(false).build()) {
        Rcu.Reader r = rcu.reader();
        r.lock();
        r.nest = Integer.MAX_VALUE; // stands in for 2^31 - 1 nested lock() calls
        try {
          assertThatThrownBy(r::lock)
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining("overflow")
              .hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
          assertThatThrownBy(rcu::readLock).isInstanceOf(IllegalStateException.class);
          assertThat(r.nest).isEqualTo(Integer.MAX_VALUE);
          assertThat(r.isLocked()).isTrue();
        } finally {
          r.nest = 1;
          r.unlock();
        }
        assertThat(rcu.isReadLocked()).isFalse();
      }
    }
  }
}
