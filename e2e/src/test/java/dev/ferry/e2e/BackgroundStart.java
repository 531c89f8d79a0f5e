package dev.ferry.e2e;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A sidecar start that blocks (e.g. while the broker is down) on a thread of its own. Closing it
 * interrupts a start still waiting (the broker connector's retry sleep is interruptible, and an
 * interrupted start closes what it built) and closes a sidecar that did start.
 */
final class BackgroundStart<T extends AutoCloseable> implements AutoCloseable {
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private final Thread thread;

  private BackgroundStart(String name, Callable<T> start) {
    thread =
        new Thread(
            () -> {
              try {
                result.complete(start.call());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            name);
    thread.setDaemon(true);
  }

  /** Runs {@code start} on a new thread named {@code name}. */
  static <T extends AutoCloseable> BackgroundStart<T> start(String name, Callable<T> start) {
    BackgroundStart<T> background = new BackgroundStart<>(name, start);
    background.thread.start();
    return background;
  }

  /** The started sidecar, once {@code start} has returned. */
  CompletableFuture<T> result() {
    return result;
  }

  @Override
  public void close() throws Exception {
    thread.interrupt();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    if (result.isDone() && !result.isCompletedExceptionally()) {
      result.join().close();
    }
  }
}
