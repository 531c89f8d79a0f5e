package dev.ferry.e2e;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Finds threads a test's sidecars left running after they were closed. */
final class Threads {
  /**
   * Pools of the JVM or of libraries that live for the whole process by design, created on first
   * use by whichever test comes first; the test's own HTTP client; and the echo upstream a test
   * class shares between its tests.
   */
  private static final List<String> PROCESS_WIDE =
      List.of(
          "grpc-default-executor",
          "grpc-shared-destroyer",
          "globalEventExecutor",
          "ForkJoinPool",
          "HttpClient-",
          "process reaper",
          "Attach Listener",
          "surefire",
          "Common-Cleaner",
          "awaitility",
          "ferry-echo");

  private Threads() {}

  /** The threads alive now. */
  static Set<Thread> live() {
    return Set.copyOf(Thread.getAllStackTraces().keySet());
  }

  /** Waits up to 10 s until every thread started since {@code before} has ended. */
  static void awaitNoneLeftSince(Set<Thread> before) {
    await().atMost(Duration.ofSeconds(10)).until(() -> leftSince(before), List::isEmpty);
  }

  private static List<String> leftSince(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> !before.contains(thread) && thread.isAlive())
        .map(Thread::getName)
        .filter(name -> PROCESS_WIDE.stream().noneMatch(name::startsWith))
        .sorted()
        .collect(Collectors.toList());
  }
}
