package dev.ferry.client.amqp;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A call that waits for its reply. Completed exactly once, through {@link PendingCalls}: with the
 * reply, or with a sidecar error.
 */
public final class PendingCall implements RequestPublisher.Outcome {
  private final PendingCalls calls;
  private final long bodyBytes;
  private final String correlationId;
  private final String service;
  private final long startNanos;
  private final CompletableFuture<ResponseEnvelope> future = new CompletableFuture<>();
  private volatile ScheduledFuture<?> timeout;

  PendingCall(
      PendingCalls calls, String correlationId, String service, long startNanos, long bodyBytes) {
    this.calls = calls;
    this.bodyBytes = bodyBytes;
    this.correlationId = correlationId;
    this.service = service;
    this.startNanos = startNanos;
  }

  public String correlationId() {
    return correlationId;
  }

  long bodyBytes() {
    return bodyBytes;
  }

  public String service() {
    return service;
  }

  public long startNanos() {
    return startNanos;
  }

  /** The outcome; completing the returned future does not complete the call. */
  public CompletableFuture<ResponseEnvelope> future() {
    return future.copy();
  }

  public boolean isDone() {
    return future.isDone();
  }

  @Override
  public boolean wanted() {
    return !future.isDone();
  }

  @Override
  public void failed(FerryError error, String detail) {
    calls.fail(correlationId, error, detail);
  }

  void timeout(ScheduledFuture<?> timeout) {
    this.timeout = timeout;
  }

  void complete(ResponseEnvelope response) {
    ScheduledFuture<?> scheduled = timeout;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    future.complete(response);
  }
}
