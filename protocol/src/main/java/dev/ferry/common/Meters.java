package dev.ferry.common;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The Prometheus registry a sidecar exposes on {@code /metrics}, with the JVM's and the process's
 * own meters bound, and what the sidecars' {@code *Metrics} classes share: the latency buckets and
 * the publisher-confirm timer.
 *
 * <p>Conventions for every Ferry meter: named {@code ferry.<area>.<thing>} (Prometheus renders
 * {@code ferry_<area>_<thing>_total} / {@code _seconds}); tags only from bounded sets: {@code
 * service} (configured names), {@code method} (an HTTP method or {@code grpc}), {@code outcome}
 * ({@code ok}, a ferry-error code), {@code sidecar}, {@code upstream} — never an id, a path or a
 * gRPC method name.
 */
public final class Meters {
  /**
   * Latency bucket boundaries of every Ferry timer: explicit, so that each timer has 16 buckets
   * ({@code histogram_quantile} works on them) rather than the ~70 of a percentile histogram, and
   * they reach the longest sensible request timeout.
   */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  private static final Path PROC_STATUS = Path.of("/proc/self/status");

  private Meters() {}

  public static PrometheusMeterRegistry prometheus() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(withoutNettyAllocatorId());
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("process.resident.memory", PROC_STATUS, Meters::residentBytes)
        .description("Resident set size of the process (Linux; NaN elsewhere)")
        .baseUnit("bytes")
        .register(registry);
    return registry;
  }

  /** Applies Ferry's latency buckets to {@code timer}. */
  public static Timer.Builder latency(Timer.Builder timer) {
    return timer
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .maximumExpectedValue(Duration.ofMinutes(1));
  }

  /**
   * {@code ferry.broker.confirm.duration{sidecar}}: time from {@code basicPublish} to the broker's
   * ack or nack (publisher confirms); returns what records one, in nanoseconds (thread-safe).
   */
  public static LongConsumer confirmLatency(MeterRegistry registry, String sidecar) {
    Timer timer =
        latency(Timer.builder("ferry.broker.confirm.duration"))
            .description("Time from publishing a message to the broker's confirm (ack or nack)")
            .tag("sidecar", sidecar)
            .register(registry);
    return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Micrometer's Netty allocator meters tag each allocator with its identity hash code ({@code
   * id}); Ferry binds one allocator only, so the tag says nothing and would change with every
   * restart.
   */
  private static MeterFilter withoutNettyAllocatorId() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith("netty.allocator.")) {
          return id;
        }
        List<Tag> tags = id.getTags().stream().filter(tag -> !"id".equals(tag.getKey())).toList();
        return id.replaceTags(tags);
      }
    };
  }

  /** VmRSS from {@code /proc/self/status}, in bytes; NaN where there is none. */
  private static double residentBytes(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String kib = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
          return Long.parseLong(kib) * 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
