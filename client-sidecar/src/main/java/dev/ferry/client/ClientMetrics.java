package dev.ferry.client;

import dev.ferry.client.amqp.PendingCall;
import dev.ferry.client.amqp.PendingCalls;
import dev.ferry.client.amqp.ReplyConsumer;
import dev.ferry.common.AmqpConnector;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client's meters, registered once: {@code ferry.client.requests} (by service and outcome),
 * {@code ferry.client.request.duration} (end to end), {@code ferry.client.queue.time} (time in the
 * request queue, as reported by the server sidecar), {@code ferry.client.pending} and {@code
 * ferry.client.replies.late}. Outcome is {@code ok} (the service answered) or a ferry-error code.
 */
final class ClientMetrics {
  private static final Duration[] SLOS = {
    Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
    Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30)
  };

  private final MeterRegistry registry;
  private final Map<String, Meters> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Timer> queueTimes = new ConcurrentHashMap<>();

  ClientMetrics(
      MeterRegistry registry,
      PendingCalls pending,
      ReplyConsumer replies,
      AmqpConnector connector) {
    this.registry = registry;
    Gauge.builder("ferry.client.pending", pending, PendingCalls::size)
        .description("Calls waiting for their reply")
        .register(registry);
    FunctionCounter.builder("ferry.client.replies.late", replies, ReplyConsumer::lateReplies)
        .description("Replies dropped because their call had already ended")
        .register(registry);
    FunctionCounter.builder(
            "ferry.client.replies.malformed", replies, ReplyConsumer::malformedReplies)
        .description("Replies that could not be decoded")
        .register(registry);
    FunctionCounter.builder(
            "ferry.client.replies.rejected", replies, ReplyConsumer::rejectedSignatures)
        .description("Replies and frames dropped for a missing or wrong signature")
        .register(registry);
    FunctionCounter.builder("ferry.broker.recoveries", connector, AmqpConnector::recoveries)
        .description("Broker connection recoveries")
        .tag("sidecar", "client")
        .register(registry);
    Gauge.builder("ferry.broker.blocked", connector, c -> c.isBlocked() ? 1 : 0)
        .description("1 while the broker blocks the connection (a memory or disk alarm)")
        .tag("sidecar", "client")
        .register(registry);
  }

  void completed(PendingCall call, ResponseEnvelope response) {
    String outcome = response == null ? "internal" : outcome(response.error());
    long nanos = System.nanoTime() - call.startNanos();
    meters(call.service(), outcome).duration.record(nanos, TimeUnit.NANOSECONDS);
    count(call.service(), outcome);
    if (response != null && response.queueMillis() >= 0) {
      queueTimes
          .computeIfAbsent(
              call.service(),
              service ->
                  Timer.builder("ferry.client.queue.time")
                      .description("Time requests waited in the request queue")
                      .tags("service", service)
                      .serviceLevelObjectives(SLOS)
                      .register(registry))
          .record(response.queueMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The meters of one (service, outcome), registered on first use and kept. */
  private Meters meters(String service, String outcome) {
    return outcomes.computeIfAbsent(
        service + '\u0000' + outcome,
        key ->
            new Meters(
                Timer.builder("ferry.client.request.duration")
                    .description("Time from receiving a request to having its outcome")
                    .tags("service", service, "outcome", outcome)
                    .serviceLevelObjectives(SLOS)
                    .register(registry),
                Counter.builder("ferry.client.requests")
                    .description(
                        "Requests by outcome: ok (the service answered) or a ferry-error code")
                    .tags("service", service, "outcome", outcome)
                    .register(registry)));
  }

  private record Meters(Timer duration, Counter requests) {}

  /** A gRPC call ended: outcome {@code ok}, {@code cancelled} or a ferry-error code. */
  void streamEnded(String service, String outcome, long durationNanos) {
    meters(service, outcome).duration.record(durationNanos, TimeUnit.NANOSECONDS);
    count(service, outcome);
  }

  void refused(String service, FerryError error) {
    count(service, error.code());
  }

  private void count(String service, String outcome) {
    meters(service, outcome).requests.increment();
  }

  private static String outcome(FerryError error) {
    return error == null ? "ok" : error.code();
  }
}
