package dev.ferry.loadtest.load;

import java.util.concurrent.CompletableFuture;

/**
 * Sends one request and tells how it ended. Implementations are thread-safe, may queue requests
 * (then the queueing is part of the latency the load measures) and never complete exceptionally: a
 * failure is an {@link Outcome} of its kind.
 */
public interface Transport extends AutoCloseable {
  CompletableFuture<Outcome> call(byte[] body);

  @Override
  void close();
}
