package dev.ferry.server.dispatch;

import dev.ferry.common.Meters;
import dev.ferry.protocol.FerryError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The server sidecar's request meters: {@code ferry.server.requests} by outcome ({@code ok}, a
 * ferry-error code, {@code expired}, {@code malformed}, {@code rejected} (signature), {@code
 * cached}, {@code poison}, {@code handed-back}), {@code ferry.server.queue.time}, {@code
 * ferry.server.upstream.duration} and {@code ferry.server.inflight}, tagged with the service only
 * (and the outcome); and Micrometer's Netty allocator meters. Every meter is registered at
 * construction, so that the hot path only counts and every outcome shows (as 0) before it first
 * happens. Thread-safe.
 */
public final class DispatchMetrics {
  private final Counter ok;
  private final Counter expired;
  private final Counter malformed;
  private final Counter rejected;
  private final Counter cached;
  private final Counter poison;
  private final Counter handedBack;
  private final Map<FerryError, Counter> errors = new EnumMap<>(FerryError.class);
  private final Timer queueTime;
  private final Timer upstreamTime;

  public DispatchMetrics(MeterRegistry registry, String service, InFlight inFlight) {
    this.ok = outcomeCounter(registry, service, "ok");
    this.expired = outcomeCounter(registry, service, "expired");
    this.malformed = outcomeCounter(registry, service, "malformed");
    this.rejected = outcomeCounter(registry, service, "rejected");
    this.cached = outcomeCounter(registry, service, "cached");
    this.poison = outcomeCounter(registry, service, "poison");
    this.handedBack = outcomeCounter(registry, service, "handed-back");
    for (FerryError error : FerryError.values()) {
      errors.put(error, outcomeCounter(registry, service, error.code()));
    }
    this.queueTime =
        Meters.latency(Timer.builder("ferry.server.queue.time"))
            .description("Time requests waited in the request queue")
            .tag("service", service)
            .register(registry);
    this.upstreamTime =
        Meters.latency(Timer.builder("ferry.server.upstream.duration"))
            .description("Time the service took to answer (or fail)")
            .tag("service", service)
            .register(registry);
    Gauge.builder("ferry.server.inflight", inFlight, InFlight::count)
        .description("Requests taken and not yet acknowledged")
        .tag("service", service)
        .register(registry);
    // The sidecar's one metrics class binds Netty's too (the HTTP upstream client's buffers).
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
  }

  private static Counter outcomeCounter(MeterRegistry registry, String service, String outcome) {
    return Counter.builder("ferry.server.requests")
        .description(
            "Requests by outcome: ok, a ferry-error code, expired, malformed, cached (answered"
                + " again from the reply cache), poison (dead-lettered after too many"
                + " deliveries), or handed-back (returned to the queue untouched: the circuit to"
                + " the service is open)")
        .tags("service", service, "outcome", outcome)
        .register(registry);
  }

  /** Counts a reply: {@code ok} for the service's own answer, else its error's code. */
  void replied(FerryError error) {
    (error == null ? ok : errors.get(error)).increment();
  }

  void expired() {
    expired.increment();
  }

  /** A request answered again from the reply cache, without calling the service. */
  void cached() {
    cached.increment();
  }

  /** A request dead-lettered after too many deliveries, without calling the service. */
  void poison() {
    poison.increment();
  }

  /** A request returned to the queue without calling the service: its circuit is open. */
  void handedBack() {
    handedBack.increment();
  }

  /** A request dead-lettered, unanswered, because its signature was missing or wrong. */
  void rejected() {
    rejected.increment();
  }

  void malformed() {
    malformed.increment();
  }

  void queued(long millis) {
    queueTime.record(millis, TimeUnit.MILLISECONDS);
  }

  void upstreamTime(long nanos) {
    upstreamTime.record(nanos, TimeUnit.NANOSECONDS);
  }
}
