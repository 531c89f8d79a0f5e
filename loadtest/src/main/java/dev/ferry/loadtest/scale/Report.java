package dev.ferry.loadtest.scale;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The simulation's console output: the header, the timeline's lines and the scaling notes. */
final class Report {
  private static final String COLUMNS =
      "%6s %-6s %4s %5s %4s %6s %5s %6s %7s %5s %5s %4s %7s %7s  %s";

  private Report() {}

  /** What is simulated, against what, where the logs go. */
  static List<String> header(ScaleConfig config, Path logDir) {
    ScalingRules rules = config.rules();
    ScaledObject object = config.scaledObject();
    return List.of(
        "scale: ScaledObject "
            + object.name()
            + " from "
            + config.scaledObjectFile()
            + ", queue "
            + config.queue()
            + " on "
            + config.redactedAmqpUri(),
        String.format(
            Locale.ROOT,
            "rules: poll every %s (written %s), cooldown %s (written %s), scale-down stabilization"
                + " %s (written %s), scale-up stabilization %s, policies up %s, down %s, replicas"
                + " %d..%d, value %s per replica, active above %s, tolerance %.0f%%; metric = %s",
            ScaleConfig.human(rules.pollingInterval()),
            ScaleConfig.human(object.pollingInterval()),
            ScaleConfig.human(rules.cooldownPeriod()),
            ScaleConfig.human(object.cooldownPeriod()),
            ScaleConfig.human(rules.scaleDownStabilization()),
            ScaleConfig.human(object.scaleDownStabilization()),
            ScaleConfig.human(rules.scaleUpStabilization()),
            rules.scaleUpPolicies(),
            rules.scaleDownPolicies(),
            rules.minReplicaCount(),
            rules.maxReplicaCount(),
            number(rules.targetValue()),
            number(rules.activationValue()),
            rules.tolerance() * 100,
            config.countsUnacknowledged()
                ? "ready + unacked (protocol: http)"
                : "ready only (protocol: " + object.trigger().protocol() + ")"),
        String.format(
            Locale.ROOT,
            "load: %s (%d requests), echo delay %s, ferry-timeout %s; server sidecars with"
                + " --concurrency %d; sidecar logs in %s",
            config.pattern(),
            config.pattern().requests(),
            ScaleConfig.human(config.delay()),
            ScaleConfig.human(config.deadline()),
            config.concurrency(),
            logDir));
  }

  /** The timeline's column headings. */
  static String columns() {
    return String.format(
            Locale.ROOT,
            COLUMNS,
            "t(s)",
            "phase",
            "repl",
            "ready",
            "term",
            "queue",
            "unack",
            "metric",
            "desired",
            "sent",
            "ok",
            "fail",
            "p50ms",
            "p99ms",
            "scaling")
        .stripTrailing();
  }

  /** One timeline line. */
  static String line(Sample s) {
    return String.format(
            Locale.ROOT,
            COLUMNS,
            String.format(Locale.ROOT, "%.1f", s.t()),
            s.phase(),
            s.replicas(),
            s.readyReplicas(),
            s.terminating(),
            s.queueReady() < 0 ? "?" : Long.toString(s.queueReady()),
            s.inFlight(),
            s.metric() < 0 ? "?" : Long.toString(s.metric()),
            s.desired(),
            s.sent(),
            s.ok(),
            s.failed(),
            millis(s.p50Millis()),
            millis(s.p99Millis()),
            s.note())
        .stripTrailing();
  }

  /** Why a poll changed the replica count, e.g. {@code 0->1 activate: metric 12 > 0}. */
  static String note(Decision d, ScalingRules rules) {
    String change = d.from() + "->" + d.to() + " " + d.reason().label() + ": ";
    return change
        + switch (d.reason()) {
          case ACTIVATE -> "metric " + d.metric() + " > " + number(rules.activationValue());
          case TO_ZERO ->
              "metric "
                  + d.metric()
                  + " <= "
                  + number(rules.activationValue())
                  + " for over "
                  + ScaleConfig.human(rules.cooldownPeriod());
          case STABILIZED ->
              "HPA recommends "
                  + d.recommendation()
                  + ", the "
                  + ScaleConfig.human(rules.scaleDownStabilization())
                  + " window holds "
                  + d.to();
          case HPA -> hpa(d, rules);
          case LIMITED -> hpa(d, rules) + ", the scaling policies allow " + d.to();
          case MINIMUM, IDLE -> "minReplicaCount " + rules.minReplicaCount();
        };
  }

  private static String hpa(Decision d, ScalingRules rules) {
    String ceil =
        "ceil(" + d.metric() + "/" + number(rules.targetValue()) + ") = " + d.recommendation();
    if (d.recommendation() > rules.maxReplicaCount()) {
      return ceil + ", max " + rules.maxReplicaCount();
    }
    if (d.recommendation() < rules.hpaMinReplicas()) {
      return ceil + ", min " + rules.hpaMinReplicas();
    }
    return ceil;
  }

  private static String millis(double value) {
    return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.0f", value);
  }

  static String number(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%s", value);
  }
}
