package dev.ferry.loadtest.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One performance target of issue #6 and whether this run met it: reported, not asserted.
 *
 * @param name what is measured, e.g. {@code HTTP via pair / raw RPC, 64 callers}
 * @param goal the target as text, e.g. {@code ≥ 0.70}
 * @param value the measured value (NaN when it could not be measured, which is a miss)
 * @param unit of {@code value} ({@code ×}, {@code ms}, {@code MiB})
 */
record Target(String name, String goal, double value, String unit, boolean pass) {
  static Target atLeast(String name, double value, double min, String unit) {
    return new Target(name, "≥ " + trim(min) + " " + unit, value, unit, value >= min);
  }

  static Target atMost(String name, double value, double max, String unit) {
    return new Target(name, "≤ " + trim(max) + " " + unit, value, unit, value <= max);
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  /**
   * The targets: through the pair at saturation HTTP ≥ 0.7 × and gRPC ≥ 0.6 × raw RPC; at one
   * caller at most 0.3 ms added to raw RPC's p50 and p99 ≤ 3 ms; each sidecar's peak RSS ≤ 128 MiB
   * and start to ready ≤ 1 s.
   */
  static List<Target> evaluate(
      Map<String, Cell> cells, List<SidecarFacts> sidecars, int low, int high) {
    List<Target> targets = new ArrayList<>();
    Cell rawHigh = cells.get(key(Configuration.RAW_RPC, "high"));
    Cell rawLow = cells.get(key(Configuration.RAW_RPC, "low"));
    for (Configuration pair : List.of(Configuration.HTTP_PAIR, Configuration.GRPC_PAIR)) {
      String via = pair == Configuration.HTTP_PAIR ? "HTTP" : "gRPC";
      double min = pair == Configuration.HTTP_PAIR ? 0.7 : 0.6;
      targets.add(
          atLeast(
              via + " via pair / raw RPC, req/s at " + high + " callers",
              ratio(cells.get(key(pair, "high")), rawHigh),
              min,
              "×"));
    }
    for (Configuration pair : List.of(Configuration.HTTP_PAIR, Configuration.GRPC_PAIR)) {
      String via = pair == Configuration.HTTP_PAIR ? "HTTP" : "gRPC";
      Cell cell = cells.get(key(pair, "low"));
      targets.add(
          atMost(
              via + " via pair, p50 added to raw RPC at " + low + " caller(s)",
              cell == null || rawLow == null
                  ? Double.NaN
                  : cell.result().millisAt(50) - rawLow.result().millisAt(50),
              0.3,
              "ms"));
      targets.add(
          atMost(
              via + " via pair, p99 at " + low + " caller(s)",
              cell == null ? Double.NaN : cell.result().millisAt(99),
              3,
              "ms"));
    }
    for (SidecarFacts sidecar : sidecars) {
      targets.add(atMost(sidecar.role() + " sidecar peak RSS", sidecar.peakRssMib(), 128, "MiB"));
    }
    for (SidecarFacts sidecar : sidecars) {
      targets.add(
          atMost(
              sidecar.role() + " sidecar start to ready",
              sidecar.startToReadyMillis(),
              1000,
              "ms"));
    }
    return targets;
  }

  /**
   * Successful requests per second of {@code cell} over {@code base}'s; NaN if either is absent.
   */
  static double ratio(Cell cell, Cell base) {
    if (cell == null || base == null || base.result().okPerSecond() == 0) {
      return Double.NaN;
    }
    return cell.result().okPerSecond() / base.result().okPerSecond();
  }

  static String key(Configuration configuration, String load) {
    return configuration.letter() + "/" + load;
  }
}
