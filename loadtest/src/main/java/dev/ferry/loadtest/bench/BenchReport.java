package dev.ferry.loadtest.bench;

import dev.ferry.loadtest.load.LoadResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's results as a markdown table (printed, and ready to paste) and as JSON-ready maps.
 *
 * @param setup what was run where (machine, queue type, body size, durations, JVM flags), in order
 * @param cells the measurements, in run order
 */
record BenchReport(
    Map<String, Object> setup,
    List<Cell> cells,
    List<SidecarFacts> sidecars,
    List<Target> targets,
    int lowConcurrency,
    int highConcurrency) {
  private static final List<String> PROCESSES = List.of("client", "server", "broker");

  static Map<String, Cell> byKey(List<Cell> cells) {
    Map<String, Cell> out = new LinkedHashMap<>();
    cells.forEach(cell -> out.put(Target.key(cell.configuration(), cell.load()), cell));
    return out;
  }

  String markdown() {
    StringBuilder out = new StringBuilder();
    out.append(
        "| configuration | callers | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
            + " ok | errors | CPU µs/req client | server | broker |\n");
    out.append(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (String load : List.of("low", "high")) {
      for (Cell cell : cells) {
        if (!cell.load().equals(load)) {
          continue;
        }
        LoadResult result = cell.result();
        out.append("| ").append(cell.configuration().label());
        out.append(" | ").append(result.spec().concurrency());
        out.append(" | ").append(format("%.0f", result.okPerSecond()));
        result
            .percentilesMillis()
            .values()
            .forEach(ms -> out.append(" | ").append(format("%.3f", ms)));
        out.append(" | ").append(result.ok());
        out.append(" | ").append(result.errorCount());
        if (!result.errors().isEmpty()) {
          out.append(' ').append(result.errors().toString().replace("|", "/"));
        }
        for (String process : PROCESSES) {
          Double micros = cell.cpuMicrosPerRequest().get(process);
          out.append(" | ").append(micros == null || micros.isNaN() ? "–" : format("%.0f", micros));
        }
        out.append(" |\n");
      }
    }
    Map<String, Cell> byKey = byKey(cells);
    out.append('\n');
    out.append(
        format(
            "Ratios at %d callers: (c)/(b) = %.2f, (d)/(b) = %.2f; at %d caller(s): (c)/(b) = %.2f,"
                + " (d)/(b) = %.2f.%n",
            highConcurrency,
            Target.ratio(byKey.get("c/high"), byKey.get("b/high")),
            Target.ratio(byKey.get("d/high"), byKey.get("b/high")),
            lowConcurrency,
            Target.ratio(byKey.get("c/low"), byKey.get("b/low")),
            Target.ratio(byKey.get("d/low"), byKey.get("b/low"))));
    if (setup.containsKey("serverConcurrency")) {
      out.append(
          format(
              "Server sidecar --concurrency %s (requests at once and consumer prefetch); raw RPC's"
                  + " prefetch = callers.%n",
              setup.get("serverConcurrency")));
    }
    out.append('\n');
    out.append("| sidecar | start to ready ms | peak RSS MiB (VmHWM) |\n| --- | ---: | ---: |\n");
    for (SidecarFacts sidecar : sidecars) {
      out.append(
          format(
              "| %s | %.0f | %.1f |%n",
              sidecar.role(), sidecar.startToReadyMillis(), sidecar.peakRssMib()));
    }
    out.append('\n');
    out.append("| target | goal | measured | |\n| --- | --- | ---: | --- |\n");
    for (Target target : targets) {
      out.append(
          format(
              "| %s | %s | %s %s | %s |%n",
              target.name(),
              target.goal(),
              Double.isNaN(target.value()) ? "–" : format("%.2f", target.value()),
              target.unit(),
              target.pass() ? "PASS" : "MISS"));
    }
    return out.toString();
  }

  Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>(setup);
    List<Object> cellMaps = new ArrayList<>();
    for (Cell cell : cells) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("configuration", cell.configuration().letter());
      map.put("title", cell.configuration().label());
      map.put("load", cell.load());
      map.putAll(cell.result().toMap());
      Map<String, Object> cpu = new LinkedHashMap<>();
      for (String process : PROCESSES) {
        Double micros = cell.cpuMicrosPerRequest().get(process);
        cpu.put(process, micros == null || micros.isNaN() ? null : round(micros));
      }
      map.put("cpuMicrosPerRequest", cpu);
      cellMaps.add(map);
    }
    out.put("cells", cellMaps);
    Map<String, Cell> byKey = byKey(cells);
    Map<String, Object> ratios = new LinkedHashMap<>();
    for (String load : List.of("low", "high")) {
      ratios.put(
          "c/b " + load, round(Target.ratio(byKey.get("c/" + load), byKey.get("b/" + load))));
      ratios.put(
          "d/b " + load, round(Target.ratio(byKey.get("d/" + load), byKey.get("b/" + load))));
    }
    out.put("ratios", ratios);
    Map<String, Object> sidecarMaps = new LinkedHashMap<>();
    for (SidecarFacts sidecar : sidecars) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("startToReadyMillis", round(sidecar.startToReadyMillis()));
      map.put("peakRssMib", round(sidecar.peakRssMib()));
      sidecarMaps.put(sidecar.role(), map);
    }
    out.put("sidecars", sidecarMaps);
    List<Object> targetMaps = new ArrayList<>();
    for (Target target : targets) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("name", target.name());
      map.put("goal", target.goal());
      map.put("value", round(target.value()));
      map.put("pass", target.pass());
      targetMaps.add(map);
    }
    out.put("targets", targetMaps);
    return out;
  }

  /** Three decimals; NaN becomes null (JSON has no NaN). */
  private static Double round(double value) {
    return Double.isNaN(value) || Double.isInfinite(value)
        ? null
        : Math.round(value * 1000) / 1000.0;
  }

  private static String format(String pattern, Object... values) {
    return String.format(Locale.ROOT, pattern, values);
  }
}
