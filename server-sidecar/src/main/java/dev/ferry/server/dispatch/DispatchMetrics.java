package dev.ferry.server.dispatch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server sidecar's request meters: {@code ferry.server.requests} by outcome ({@code ok}, a
 * ferry-error code, {@code expired}, {@code malformed}), {@code ferry.server.queue.time}, {@code
 * ferry.server.upstream.duration} and {@code ferry.server.inflight}. Tagged with the service only.
 */
public final class DispatchMetrics {
  private static final Duration[] SLOS = {
    Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
    Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30)
  };

  private final MeterRegistry registry;
  private final String service;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final Timer queueTime;
  private final Timer upstreamTime;

  public DispatchMetrics(MeterRegistry registry, String service, InFlight inFlight) {
    this.registry = registry;
    this.service = service;
    this.queueTime =
        Timer.builder("ferry.server.queue.time")
            .description("Time requests waited in the request queue")
            .tag("service", service)
            .serviceLevelObjectives(SLOS)
            .register(registry);
    this.upstreamTime =
        Timer.builder("ferry.server.upstream.duration")
            .description("Time the service took to answer (or fail)")
            .tag("service", service)
            .serviceLevelObjectives(SLOS)
            .register(registry);
    Gauge.builder("ferry.server.inflight", inFlight, InFlight::count)
        .description("Requests taken and not yet acknowledged")
        .tag("service", service)
        .register(registry);
  }

  void outcome(String outcome) {
    outcomes
        .computeIfAbsent(
            outcome,
            key ->
                Counter.builder("ferry.server.requests")
                    .description(
                        "Requests by outcome: ok, a ferry-error code, expired or malformed")
                    .tags("service", service, "outcome", key)
                    .register(registry))
        .increment();
  }

  void queued(long millis) {
    queueTime.record(millis, TimeUnit.MILLISECONDS);
  }

  void upstreamTime(long nanos) {
    upstreamTime.record(nanos, TimeUnit.NANOSECONDS);
  }
}
