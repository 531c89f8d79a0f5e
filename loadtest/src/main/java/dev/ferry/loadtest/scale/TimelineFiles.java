package dev.ferry.loadtest.scale;

import dev.ferry.loadtest.soak.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's timeline: {@code scale-timeline.csv} (one row per line of the timeline), {@code
 * scale-timeline.json} (the settings, the summary, every poll and every line) and {@code
 * scale-timeline.svg} ({@link TimelineChart}).
 */
final class TimelineFiles {
  static final String CSV = "scale-timeline.csv";
  static final String JSON = "scale-timeline.json";
  static final String SVG = "scale-timeline.svg";

  private static final String CSV_HEADER =
      "t_s,phase,replicas,ready_replicas,terminating,queue_ready,in_flight,metric,desired,sent,ok,"
          + "failed,p50_ms,p99_ms,note\n";

  private TimelineFiles() {}

  /** Writes the three files into {@code dir}. */
  static void write(
      Path dir, ScaleConfig config, Summary summary, List<Poll> polls, List<Sample> samples)
      throws IOException {
    Files.writeString(dir.resolve(CSV), csv(samples), StandardCharsets.UTF_8);
    Files.writeString(
        dir.resolve(JSON),
        Json.write(json(config, summary, polls, samples)),
        StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(SVG), TimelineChart.svg(config, samples), StandardCharsets.UTF_8);
  }

  static String csv(List<Sample> samples) {
    StringBuilder csv = new StringBuilder(CSV_HEADER);
    for (Sample s : samples) {
      csv.append(
          String.format(
              Locale.ROOT,
              "%.1f,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%s,%s,\"%s\"%n",
              s.t(),
              s.phase(),
              s.replicas(),
              s.readyReplicas(),
              s.terminating(),
              s.queueReady(),
              s.inFlight(),
              s.metric(),
              s.desired(),
              s.sent(),
              s.ok(),
              s.failed(),
              millis(s.p50Millis()),
              millis(s.p99Millis()),
              s.note().replace("\"", "\"\"")));
    }
    return csv.toString();
  }

  static Map<String, Object> json(
      ScaleConfig config, Summary summary, List<Poll> polls, List<Sample> samples) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("scaledObject", config.scaledObject().name());
    json.put("scaledObjectFile", config.scaledObjectFile().toString());
    json.put("queue", config.queue());
    json.put("rules", rules(config));
    json.put("pattern", config.pattern().toString());
    json.put("delayMs", config.delay().toMillis());
    json.put("deadlineMs", config.deadline().toMillis());
    json.put("summary", summary.toMap());
    json.put("polls", polls.stream().map(TimelineFiles::poll).toList());
    json.put("timeline", samples.stream().map(TimelineFiles::sample).toList());
    return json;
  }

  private static Map<String, Object> rules(ScaleConfig config) {
    ScalingRules rules = config.rules();
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("minReplicaCount", rules.minReplicaCount());
    map.put("maxReplicaCount", rules.maxReplicaCount());
    map.put("pollingIntervalMs", rules.pollingInterval().toMillis());
    map.put("cooldownPeriodMs", rules.cooldownPeriod().toMillis());
    map.put("scaleUpStabilizationMs", rules.scaleUpStabilization().toMillis());
    map.put("scaleDownStabilizationMs", rules.scaleDownStabilization().toMillis());
    map.put("value", rules.targetValue());
    map.put("activationValue", rules.activationValue());
    map.put("tolerance", rules.tolerance());
    map.put("metricCountsUnacked", config.countsUnacknowledged());
    return map;
  }

  private static Map<String, Object> poll(Poll poll) {
    Decision decision = poll.decision();
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("t", round(poll.t()));
    map.put("metric", decision.metric());
    map.put("active", decision.active());
    map.put("from", decision.from());
    map.put("recommendation", decision.recommendation());
    map.put("to", decision.to());
    map.put("reason", decision.reason().label());
    return map;
  }

  private static Map<String, Object> sample(Sample s) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("t", round(s.t()));
    map.put("phase", s.phase());
    map.put("replicas", s.replicas());
    map.put("readyReplicas", s.readyReplicas());
    map.put("terminating", s.terminating());
    map.put("queueReady", s.queueReady());
    map.put("inFlight", s.inFlight());
    map.put("metric", s.metric());
    map.put("desired", s.desired());
    map.put("sent", s.sent());
    map.put("ok", s.ok());
    map.put("failed", s.failed());
    map.put("p50Ms", Double.isNaN(s.p50Millis()) ? null : round(s.p50Millis()));
    map.put("p99Ms", Double.isNaN(s.p99Millis()) ? null : round(s.p99Millis()));
    map.put("note", s.note());
    return map;
  }

  private static String millis(double value) {
    return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.1f", value);
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
