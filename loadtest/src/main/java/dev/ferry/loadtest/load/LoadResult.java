package dev.ferry.loadtest.load;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one load run measured. Only requests sent inside the measured window count; their latency is
 * from the intended send time (open loop) or the send (closed loop) to the answer.
 *
 * @param label what was loaded, for the output
 * @param spec the load applied
 * @param windowNanos length of the measured window
 * @param sent requests sent in the window
 * @param ok those answered successfully
 * @param errors those that failed, by kind (sorted)
 * @param latencyMicros latency of the successful ones, microseconds
 * @param timeline the window second by second
 */
public record LoadResult(
    String label,
    LoadSpec spec,
    long windowNanos,
    long sent,
    long ok,
    Map<String, Long> errors,
    Histogram latencyMicros,
    List<TimelinePoint> timeline) {
  /** The percentiles reported everywhere, with their names. */
  public static final Map<String, Double> PERCENTILES =
      Map.of("p50", 50.0, "p90", 90.0, "p99", 99.0, "p99.9", 99.9);

  private static final List<String> ORDER = List.of("p50", "p90", "p99", "p99.9");

  public LoadResult {
    errors = Collections.unmodifiableMap(new TreeMap<>(errors));
    timeline = List.copyOf(timeline);
  }

  /** Events per second over {@code nanos}; 0 for an empty window. */
  public static double perSecond(long count, long nanos) {
    return nanos <= 0 ? 0 : count * 1e9 / nanos;
  }

  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Successful answers per second of the window: the throughput. */
  public double okPerSecond() {
    return perSecond(ok, windowNanos);
  }

  /** Requests sent per second of the window: compare with the requested rate (open loop). */
  public double sentPerSecond() {
    return perSecond(sent, windowNanos);
  }

  /** The latency at {@code percentile} (0..100) in milliseconds; 0 without successes. */
  public double millisAt(double percentile) {
    return latencyMicros.getTotalCount() == 0
        ? 0
        : latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  public double maxMillis() {
    return latencyMicros.getTotalCount() == 0 ? 0 : latencyMicros.getMaxValue() / 1000.0;
  }

  /** p50, p90, p99, p99.9 and max, in milliseconds, in that order. */
  public Map<String, Double> percentilesMillis() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String name : ORDER) {
      out.put(name, millisAt(PERCENTILES.get(name)));
    }
    out.put("max", maxMillis());
    return out;
  }

  /** The result as JSON-ready maps (see {@code dev.ferry.loadtest.soak.Json}). */
  public Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("label", label);
    out.put("mode", spec.openLoop() ? "open" : "closed");
    out.put("requestedPerSecond", spec.openLoop() ? spec.ratePerSecond() : null);
    out.put("concurrency", spec.openLoop() ? null : spec.concurrency());
    out.put("bodySize", spec.bodySize());
    out.put("seconds", round(windowNanos / 1e9));
    out.put("sent", sent);
    out.put("ok", ok);
    out.put("errors", errorCount());
    out.put("errorsByKind", new LinkedHashMap<>(errors));
    out.put("sentPerSecond", round(sentPerSecond()));
    out.put("okPerSecond", round(okPerSecond()));
    Map<String, Object> latency = new LinkedHashMap<>();
    percentilesMillis().forEach((name, millis) -> latency.put(name, round(millis)));
    out.put("latencyMillis", latency);
    return out;
  }

  /** A few lines for the terminal. */
  public String summary() {
    StringBuilder out = new StringBuilder();
    out.append(label).append(" (").append(spec.describe()).append(", ");
    out.append(spec.bodySize()).append(" B bodies, ");
    out.append(String.format(Locale.ROOT, "%.1f s measured)%n", windowNanos / 1e9));
    if (spec.openLoop()) {
      out.append(
          String.format(
              Locale.ROOT,
              "  rate      requested %.1f/s, sent %.1f/s, answered ok %.1f/s%n",
              spec.ratePerSecond(),
              sentPerSecond(),
              okPerSecond()));
    } else {
      out.append(String.format(Locale.ROOT, "  rate      %.1f/s ok%n", okPerSecond()));
    }
    out.append(String.format(Locale.ROOT, "  requests  %d sent, %d ok", sent, ok));
    out.append(
        String.format(", %d errors%s%n", errorCount(), errors.isEmpty() ? "" : " " + errors));
    out.append("  latency  ");
    percentilesMillis()
        .forEach(
            (name, millis) -> out.append(String.format(Locale.ROOT, " %s %.3f ms", name, millis)));
    return out.append(System.lineSeparator()).toString();
  }

  static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }
}
