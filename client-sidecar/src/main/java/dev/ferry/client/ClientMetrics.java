package dev.ferry.client;

import dev.ferry.client.amqp.PendingCall;
import dev.ferry.client.amqp.PendingCalls;
import dev.ferry.client.amqp.ReplyConsumer;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Meters;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The client's meters, registered once: {@code ferry.client.requests} and {@code
 * ferry.client.request.duration} (end to end) by service, method class and outcome; {@code
 * ferry.client.queue.time} (time in the request queue, as reported by the server sidecar) by
 * service; {@code ferry.client.pending}, {@code ferry.client.replies.late}/{@code .malformed}/
 * {@code .rejected}, {@code ferry.broker.recoveries}, {@code ferry.broker.blocked} and {@code
 * ferry.broker.confirm.duration}; and Micrometer's Netty allocator meters. Outcome is {@code ok}
 * (the service answered), {@code cancelled} (gRPC) or a ferry-error code; the method class is the
 * HTTP method ({@code other} for an unknown one) or {@code grpc}, never a path or gRPC method name,
 * so that every tag comes from a bounded set. Thread-safe.
 */
final class ClientMetrics {
  private static final Set<String> HTTP_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");

  private final MeterRegistry registry;
  private final Map<String, RequestMeters> outcomes = new ConcurrentHashMap<>();
  private final Map<String, Timer> queueTimes = new ConcurrentHashMap<>();
  private final LongConsumer confirmLatency;

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
    this.confirmLatency = Meters.confirmLatency(registry, "client");
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
  }

  /** The method class of a call: its HTTP method (or {@code other}), or {@code grpc}. */
  static String methodClass(CallKind kind, String method) {
    if (kind == CallKind.GRPC) {
      return "grpc";
    }
    return HTTP_METHODS.contains(method) ? method : "other";
  }

  /** A publish was confirmed (or refused) by the broker {@code nanos} after it went out. */
  void confirmed(long nanos) {
    confirmLatency.accept(nanos);
  }

  void completed(PendingCall call, String method, ResponseEnvelope response) {
    String outcome = response == null ? "internal" : outcome(response.error());
    long nanos = System.nanoTime() - call.startNanos();
    RequestMeters meters = meters(call.service(), method, outcome);
    meters.duration.record(nanos, TimeUnit.NANOSECONDS);
    meters.requests.increment();
    if (response != null && response.queueMillis() >= 0) {
      queueTimes
          .computeIfAbsent(
              call.service(),
              service ->
                  Meters.latency(Timer.builder("ferry.client.queue.time"))
                      .description("Time requests waited in the request queue")
                      .tags("service", service)
                      .register(registry))
          .record(response.queueMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The meters of one (service, method, outcome), registered on first use and kept. */
  private RequestMeters meters(String service, String method, String outcome) {
    return outcomes.computeIfAbsent(
        service + '\u0000' + method + '\u0000' + outcome,
        key ->
            new RequestMeters(
                Meters.latency(Timer.builder("ferry.client.request.duration"))
                    .description("Time from receiving a request to having its outcome")
                    .tags("service", service, "method", method, "outcome", outcome)
                    .register(registry),
                Counter.builder("ferry.client.requests")
                    .description(
                        "Requests by outcome: ok (the service answered) or a ferry-error code")
                    .tags("service", service, "method", method, "outcome", outcome)
                    .register(registry)));
  }

  private record RequestMeters(Timer duration, Counter requests) {}

  /** A gRPC call ended: outcome {@code ok}, {@code cancelled} or a ferry-error code. */
  void streamEnded(String service, String outcome, long durationNanos) {
    RequestMeters meters = meters(service, "grpc", outcome);
    meters.duration.record(durationNanos, TimeUnit.NANOSECONDS);
    meters.requests.increment();
  }

  /** A call refused before it was published; counted, not timed. */
  void refused(String service, String method, FerryError error) {
    meters(service, method, error.code()).requests.increment();
  }

  private static String outcome(FerryError error) {
    return error == null ? "ok" : error.code();
  }
}
