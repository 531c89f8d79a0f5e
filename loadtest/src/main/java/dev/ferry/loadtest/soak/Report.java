package dev.ferry.loadtest.soak;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tells the verdict of one soak: the result block on the output, the summary as JSON. */
final class Report {
  private final SoakConfig config;
  private final String service;
  private final long origin;

  /**
   * {@code origin}: when the load started ({@link System#nanoTime()}); fault times count from it.
   */
  Report(SoakConfig config, String service, long origin) {
    this.config = config;
    this.service = service;
    this.origin = origin;
  }

  /** Prints the result block: a header, one line per count, and PASS or FAIL. */
  void print(Verdict verdict, int faults, PrintWriter out) {
    out.println();
    out.printf(
        "soak result: %s of load, %d faults, seed %d, service %s%n",
        Soak.human(config.duration()), faults, config.seed(), service);
    verdict.lines().forEach(out::println);
    out.println(verdict.holds() ? "RESULT: PASS" : "RESULT: FAIL");
    out.flush();
  }

  /** Writes the JSON summary to {@code --out}: the settings, the verdict, faults and processes. */
  void write(Verdict verdict, List<FaultEvent> history, List<SidecarProcess> processes)
      throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("service", service);
    json.put("finishedAt", Instant.now().toString());
    json.put("seed", config.seed());
    json.put("broker", config.redactedAmqpUri());
    json.put("durationSeconds", config.duration().toSeconds());
    json.put("faultEverySeconds", config.faultEvery().toMillis() / 1000.0);
    json.put("rate", config.rate());
    json.put("deadlineMillis", config.deadline().toMillis());
    json.put("servers", config.servers());
    json.put("queueType", config.queueType());
    json.putAll(verdict.json());
    json.put("faults", faults(history));
    List<Object> started = new ArrayList<>();
    for (SidecarProcess process : processes) {
      started.add(process.name() + " pid " + process.pid() + " log " + process.log());
    }
    json.put("processes", started);
    Files.writeString(config.out(), Json.write(json), StandardCharsets.UTF_8);
  }

  private List<Object> faults(List<FaultEvent> history) {
    List<Object> faults = new ArrayList<>();
    for (FaultEvent fault : history) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("atSeconds", (fault.atNanos() - origin) / 1_000_000 / 1000.0);
      entry.put("kind", fault.kind().label());
      entry.put("target", fault.slot() < 0 ? "client" : "p" + fault.process());
      entry.put("detail", fault.detail());
      faults.add(entry);
    }
    return faults;
  }
}
