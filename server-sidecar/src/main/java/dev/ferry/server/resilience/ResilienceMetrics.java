package dev.ferry.server.resilience;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The meters of the breakers and retries, tagged with the upstream kind ({@code http}, {@code
 * grpc}) only: {@code ferry.upstream.retries} and {@code ferry.upstream.circuit.state}. Registered
 * once per upstream at start-up.
 */
final class ResilienceMetrics {
  private ResilienceMetrics() {}

  static Counter retries(MeterRegistry registry, String kind) {
    return Counter.builder("ferry.upstream.retries")
        .description(
            "Calls made to the service again after a 502/503/504 or a reset (idempotent HTTP"
                + " requests) or a refused connection (gRPC); connection retries within one"
                + " attempt are not counted")
        .tag("upstream", kind)
        .register(registry);
  }

  static void circuitState(MeterRegistry registry, UpstreamBreaker breaker) {
    Gauge.builder("ferry.upstream.circuit.state", breaker, UpstreamBreaker::stateLevel)
        .description(
            "The upstream's circuit breaker: 0 closed (or off), 1 half-open, 2 open (no requests"
                + " taken)")
        .tag("upstream", breaker.kind())
        .register(registry);
  }
}
