package dev.ferry.server.resilience;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What guards the calls to one upstream ({@code http} or {@code grpc}): its breaker and its
 * retries.
 */
public record UpstreamGuard(String kind, UpstreamBreaker breaker, Retries retries) {

  /**
   * Takes what retry number {@code retry} needs, {@code delayMillis} from now with {@code
   * remainingMillis} of the request's budget left: a token of the budget and the breaker permit it
   * returns; null (taking nothing) when it may not be made.
   */
  public UpstreamBreaker.Permit mayRetry(int retry, long delayMillis, long remainingMillis) {
    if (!retries.withinLimits(retry, delayMillis, remainingMillis)) {
      return null;
    }
    UpstreamBreaker.Permit permit = breaker.tryAcquire();
    if (permit == null) {
      return null;
    }
    if (!retries.withdraw()) {
      permit.release();
      return null;
    }
    return permit;
  }

  /** A guard that never opens and never retries, for code that runs without {@link Circuits}. */
  public static UpstreamGuard none(String kind) {
    UpstreamBreaker breaker =
        new UpstreamBreaker(
            kind,
            new CircuitSettings(0, 1, 100, Duration.ofSeconds(1)),
            () -> CompletableFuture.completedFuture(true),
            null,
            () -> {});
    Retries retries =
        new Retries(
            0,
            new RetryBudget(0),
            null,
            new SimpleMeterRegistry().counter("ferry.upstream.retries"));
    return new UpstreamGuard(kind, breaker, retries);
  }
}
