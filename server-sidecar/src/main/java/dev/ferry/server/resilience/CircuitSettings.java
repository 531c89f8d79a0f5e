package dev.ferry.server.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;

/**
 * How an {@link UpstreamBreaker} judges its upstream: small, for a sidecar that sees one service
 * (Resilience4j's defaults are made for a client of many, with 100-call windows).
 *
 * @param window the last calls judged ({@code --circuit-window}, default 10); 0 turns the breakers
 *     off
 * @param minimumCalls calls needed in the window before it is judged at all ({@code
 *     --circuit-minimum-calls}, default 5)
 * @param failureRatePercent the share of failed calls in the window that opens the breaker ({@code
 *     --circuit-failure-rate}, default 50)
 * @param openDuration how long the breaker stays open before the service is probed and, if it
 *     accepts a connection, given a trial request ({@code --circuit-open-duration}, default 5 s)
 */
public record CircuitSettings(
    int window, int minimumCalls, int failureRatePercent, Duration openDuration) {

  /**
   * Calls let through while half-open; also the consumer prefetch meanwhile, so that every request
   * taken then gets a permit and none has to go back to the queue. One trial decides.
   */
  public static final int TRIAL_CALLS = 1;

  public boolean enabled() {
    return window > 0;
  }

  CircuitBreakerConfig toResilience4j() {
    return CircuitBreakerConfig.custom()
        .slidingWindow(
            Math.max(1, window), Math.max(1, minimumCalls), SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(Math.max(1, failureRatePercent))
        // Slow calls are judged by their deadlines (a timeout is a failure), not by a threshold.
        .slowCallRateThreshold(100)
        .slowCallDurationThreshold(Duration.ofDays(1))
        .permittedNumberOfCallsInHalfOpenState(TRIAL_CALLS)
        // The breaker leaves OPEN only when UpstreamBreaker has probed the service; never on its
        // own (no Resilience4j scheduler thread).
        .waitDurationInOpenState(openDuration)
        .automaticTransitionFromOpenToHalfOpenEnabled(false)
        .writableStackTraceEnabled(false)
        .build();
  }
}
