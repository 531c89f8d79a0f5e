package dev.ferry.loadtest.scale;

import dev.ferry.loadtest.scale.ScaleLoad.Answer;
import dev.ferry.loadtest.scale.ScaleLoad.Request;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The outcome of a run: what happened to the requests, and how the replica count moved. The run
 * passes when no request was lost: every request sent got the echo's own answer (2xx, its body).
 *
 * @param sent requests sent
 * @param ok answered by the echo
 * @param notOk every other outcome and how many: {@code 504 timeout}, {@code no answer (...)}, ...
 * @param executedMoreThanOnce requests the echo executed more than once (at-least-once delivery)
 * @param okNeverExecuted requests answered ok that the echo never saw (must be 0)
 * @param sentAtZero requests sent while the replica count was 0
 * @param okAtZero of those, answered by the echo
 * @param maxLatencyAtZeroMillis the longest of their latencies (-1: none)
 * @param replicaSequence the replica counts the polls set, repeats collapsed ({@code [0, 1, 3, 2,
 *     1, 0]})
 * @param firstActivation when the first poll activated (-1: never), seconds since the start
 * @param firstReady the first timeline line with a ready replica (-1: none)
 * @param backToZero when the last poll scaled to zero (-1: never)
 * @param latency p50, p99 and max latency of the answers by the echo, in ms
 * @param serversStarted server sidecar processes started
 * @param serverExits how many server sidecars ended with each exit status
 * @param crashes replicas that exited without being told to
 * @param unstopped sidecars that did not stop on SIGTERM (SIGKILLed)
 */
record Summary(
    long sent,
    long ok,
    Map<String, Long> notOk,
    long executedMoreThanOnce,
    long okNeverExecuted,
    long sentAtZero,
    long okAtZero,
    double maxLatencyAtZeroMillis,
    List<Integer> replicaSequence,
    double firstActivation,
    double firstReady,
    double backToZero,
    Latency latency,
    int serversStarted,
    Map<String, Long> serverExits,
    int crashes,
    int unstopped) {

  /** Latency percentiles in milliseconds. */
  record Latency(double p50, double p99, double max) {}

  /** Requests without the echo's answer. */
  long lost() {
    return sent - ok;
  }

  /** Whether some requests were sent and none was lost. */
  boolean passed() {
    return sent > 0 && lost() == 0;
  }

  int maxReplicas() {
    return replicaSequence.stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  /** Whether the replica count went from 0 to 2 or more and back to 0. */
  boolean zeroToManyToZero() {
    List<Integer> sequence = replicaSequence;
    return sequence.size() >= 3
        && sequence.get(0) == 0
        && sequence.get(sequence.size() - 1) == 0
        && maxReplicas() >= 2;
  }

  /** Counts the requests' outcomes; the rest comes from the run. */
  static Summary of(
      List<Request> requests,
      Map<Long, Long> executions,
      List<Poll> polls,
      List<Sample> samples,
      Histogram latencies,
      Fleet fleet,
      int unstopped) {
    long ok = 0;
    long okNeverExecuted = 0;
    long sentAtZero = 0;
    long okAtZero = 0;
    double maxAtZero = -1;
    Map<String, Long> notOk = new TreeMap<>();
    for (Request request : requests) {
      Answer answer = request.answer().getNow(null);
      boolean answeredOk = answer != null && answer.ok();
      if (answeredOk) {
        ok++;
        if (!executions.containsKey(request.seq())) {
          okNeverExecuted++;
        }
      } else {
        notOk.merge(answer == null ? "no answer (still waiting)" : answer.kind(), 1L, Long::sum);
      }
      if (request.replicasAtSend() == 0) {
        sentAtZero++;
        if (answeredOk) {
          okAtZero++;
          maxAtZero = Math.max(maxAtZero, (answer.atNanos() - request.sentNanos()) / 1e6);
        }
      }
    }
    return new Summary(
        requests.size(),
        ok,
        notOk,
        executions.values().stream().filter(count -> count > 1).count(),
        okNeverExecuted,
        sentAtZero,
        okAtZero,
        maxAtZero,
        replicaSequence(polls),
        polls.stream()
            .filter(poll -> poll.decision().reason() == Decision.Reason.ACTIVATE)
            .mapToDouble(Poll::t)
            .findFirst()
            .orElse(-1),
        samples.stream()
            .filter(s -> s.readyReplicas() > 0)
            .mapToDouble(Sample::t)
            .findFirst()
            .orElse(-1),
        polls.stream()
            .filter(poll -> poll.decision().changed() && poll.decision().to() == 0)
            .mapToDouble(Poll::t)
            .reduce((first, second) -> second)
            .orElse(-1),
        new Latency(
            latencies.getValueAtPercentile(50) / 1000.0,
            latencies.getValueAtPercentile(99) / 1000.0,
            latencies.getMaxValue() / 1000.0),
        fleet.servers().size(),
        fleet.serverExitStatuses(),
        fleet.crashes(),
        unstopped);
  }

  private static List<Integer> replicaSequence(List<Poll> polls) {
    List<Integer> sequence = new ArrayList<>(List.of(0));
    for (Poll poll : polls) {
      int to = poll.decision().to();
      if (to != sequence.get(sequence.size() - 1)) {
        sequence.add(to);
      }
    }
    return sequence;
  }

  /** The summary as the JSON file has it. */
  Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("pass", passed());
    map.put("sent", sent);
    map.put("ok", ok);
    map.put("lost", lost());
    map.put("notOk", notOk);
    map.put("executedMoreThanOnce", executedMoreThanOnce);
    map.put("okNeverExecuted", okNeverExecuted);
    map.put("sentAtZeroReplicas", sentAtZero);
    map.put("okAtZeroReplicas", okAtZero);
    map.put("maxLatencyAtZeroReplicasMs", round(maxLatencyAtZeroMillis));
    map.put("replicaSequence", replicaSequence);
    map.put("maxReplicas", maxReplicas());
    map.put("zeroToManyToZero", zeroToManyToZero());
    map.put("firstActivationS", round(firstActivation));
    map.put("firstReadyReplicaS", round(firstReady));
    map.put("backToZeroS", round(backToZero));
    map.put("latencyP50Ms", round(latency.p50()));
    map.put("latencyP99Ms", round(latency.p99()));
    map.put("latencyMaxMs", round(latency.max()));
    map.put("serverSidecarsStarted", serversStarted);
    map.put("serverSidecarExitStatuses", serverExits);
    map.put("serverSidecarCrashes", crashes);
    map.put("sidecarsSigkilled", unstopped);
    return map;
  }

  /** Prints the result block. */
  void print(PrintWriter out) {
    out.println("scale result:");
    row(out, "sent", Long.toString(sent));
    row(out, "ok: the echo's own answer", Long.toString(ok));
    row(out, "LOST: any other outcome", lost() + (notOk.isEmpty() ? "" : "  " + notOk));
    row(
        out,
        "sent at zero replicas, ok",
        sentAtZero
            + ", "
            + okAtZero
            + (okAtZero > 0
                ? String.format(Locale.ROOT, " (slowest %.0f ms)", maxLatencyAtZeroMillis)
                : ""));
    row(out, "executed twice (at-least-once)", Long.toString(executedMoreThanOnce));
    row(
        out,
        "replicas",
        String.join(" -> ", replicaSequence.stream().map(String::valueOf).toList())
            + "  (max "
            + maxReplicas()
            + ")");
    row(
        out,
        "activated, first ready, back to 0",
        String.format(
            Locale.ROOT,
            "t=%s, t=%s, t=%s",
            seconds(firstActivation),
            seconds(firstReady),
            seconds(backToZero)));
    row(
        out,
        "latency p50 / p99 / max",
        String.format(
            Locale.ROOT, "%.0f / %.0f / %.0f ms", latency.p50(), latency.p99(), latency.max()));
    row(
        out,
        "server sidecars started, exits",
        serversStarted
            + ", "
            + serverExits
            + (crashes > 0 ? ", " + crashes + " crashed" : "")
            + (unstopped > 0 ? ", " + unstopped + " SIGKILLed" : ""));
    out.println("RESULT: " + (passed() ? "PASS (no request lost)" : "FAIL (requests lost)"));
    out.flush();
  }

  private static void row(PrintWriter out, String label, String value) {
    out.printf(Locale.ROOT, "  %-36s %s%n", label, value);
  }

  private static String seconds(double t) {
    return t < 0 ? "-" : String.format(Locale.ROOT, "%.1fs", t);
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }
}
