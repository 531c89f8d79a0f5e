package dev.ferry.loadtest.scale;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Draws the timeline as a standalone SVG: on top, replicas (ready and desired too) against the
 * queue length KEDA reads, with the load pattern's busy phases shaded; below, the p50 and p99
 * latency of each interval's answers. Hand-written SVG 1.1, no scripts or external resources.
 */
final class TimelineChart {
  private static final int WIDTH = 960;
  private static final int LEFT = 70;
  private static final int RIGHT = 80;
  private static final int TOP = 60;
  private static final int TOP_HEIGHT = 260;
  private static final int GAP = 70;
  private static final int BOTTOM_HEIGHT = 170;
  private static final int HEIGHT = TOP + TOP_HEIGHT + GAP + BOTTOM_HEIGHT + 60;
  private static final String REPLICAS = "#d95f02";
  private static final String READY = "#1b9e77";
  private static final String DESIRED = "#7570b3";
  private static final String QUEUE = "#3182bd";
  private static final String P50 = "#3182bd";
  private static final String P99 = "#de2d26";

  private final StringBuilder svg = new StringBuilder();
  private final double tMax;

  private TimelineChart(double tMax) {
    this.tMax = Math.max(1, tMax);
  }

  /** The chart of {@code samples} as an SVG document. */
  static String svg(ScaleConfig config, List<Sample> samples) {
    double tMax = samples.isEmpty() ? 1 : samples.get(samples.size() - 1).t();
    TimelineChart chart = new TimelineChart(tMax);
    chart.draw(config, samples);
    return chart.svg.toString();
  }

  private void draw(ScaleConfig config, List<Sample> samples) {
    ScalingRules rules = config.rules();
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    add(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            + " font-family=\"sans-serif\" font-size=\"12\">",
        WIDTH, HEIGHT, WIDTH, HEIGHT);
    add("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>", WIDTH, HEIGHT);
    text(
        LEFT,
        22,
        "start",
        "font-size=\"15\" font-weight=\"bold\"",
        "Ferry scale from zero: ScaledObject "
            + config.scaledObject().name()
            + ", queue "
            + config.queue());
    text(
        LEFT,
        40,
        "start",
        "fill=\"#555\"",
        String.format(
            Locale.ROOT,
            "polling %s, cooldown %s, scale-down stabilization %s, value %s, replicas %d..%d;"
                + " load %s, delay %s",
            ScaleConfig.human(rules.pollingInterval()),
            ScaleConfig.human(rules.cooldownPeriod()),
            ScaleConfig.human(rules.scaleDownStabilization()),
            number(rules.targetValue()),
            rules.minReplicaCount(),
            rules.maxReplicaCount(),
            config.pattern(),
            ScaleConfig.human(config.delay())));
    phases(config.pattern());
    replicasPanel(samples);
    latencyPanel(samples);
    svg.append("</svg>\n");
  }

  private void phases(LoadPattern pattern) {
    double start = 0;
    for (LoadPattern.Phase phase : pattern.phases()) {
      double end = start + phase.duration().toMillis() / 1000.0;
      if (phase.rate() > 0 && start < tMax) {
        double x0 = x(start);
        double x1 = x(Math.min(end, tMax));
        for (int[] panel : new int[][] {{TOP, TOP_HEIGHT}, {bottomTop(), BOTTOM_HEIGHT}}) {
          add(
              "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f0f0f0\"/>",
              x0, panel[0], x1 - x0, panel[1]);
        }
        text(
            (x0 + x1) / 2,
            TOP + 14,
            "middle",
            "fill=\"#888\"",
            phase.name() + " " + phase.rate() + "/s");
      }
      start = end;
    }
  }

  private void replicasPanel(List<Sample> samples) {
    int maxReplicas = 1;
    long maxMetric = 1;
    for (Sample s : samples) {
      maxReplicas = Math.max(maxReplicas, Math.max(s.replicas(), s.desired()));
      maxMetric = Math.max(maxMetric, s.metric());
    }
    double replicaTop = niceCeiling(Math.max(2, maxReplicas + 1));
    double queueTop = niceCeiling(maxMetric);
    frame(TOP, TOP_HEIGHT);
    yAxis(TOP, TOP_HEIGHT, replicaTop, LEFT, "end", "replicas", REPLICAS);
    yAxis(TOP, TOP_HEIGHT, queueTop, WIDTH - RIGHT, "start", "queue length", QUEUE);
    area(samples, s -> Math.max(0, s.metric()), queueTop, TOP, TOP_HEIGHT);
    step(samples, s -> Math.max(0, s.desired()), replicaTop, TOP, TOP_HEIGHT, DESIRED, "2 4", 1.5);
    step(samples, Sample::readyReplicas, replicaTop, TOP, TOP_HEIGHT, READY, "6 3", 2);
    step(samples, Sample::replicas, replicaTop, TOP, TOP_HEIGHT, REPLICAS, null, 2.5);
    legend(
        TOP + TOP_HEIGHT + 36,
        new String[] {"replicas", "ready", "desired (HPA/KEDA)", "queue length (KEDA's metric)"},
        new String[] {REPLICAS, READY, DESIRED, QUEUE});
  }

  private void latencyPanel(List<Sample> samples) {
    int top = bottomTop();
    double max = 1;
    for (Sample s : samples) {
      if (!Double.isNaN(s.p99Millis())) {
        max = Math.max(max, s.p99Millis());
      }
    }
    double latencyTop = niceCeiling(max);
    frame(top, BOTTOM_HEIGHT);
    yAxis(top, BOTTOM_HEIGHT, latencyTop, LEFT, "end", "latency (ms)", "#333");
    line(samples, Sample::p50Millis, latencyTop, top, BOTTOM_HEIGHT, P50);
    line(samples, Sample::p99Millis, latencyTop, top, BOTTOM_HEIGHT, P99);
    xAxis(top + BOTTOM_HEIGHT);
    legend(
        top + BOTTOM_HEIGHT + 40,
        new String[] {"p50 latency", "p99 latency"},
        new String[] {P50, P99});
  }

  private void frame(int top, int height) {
    add(
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
        LEFT, top, WIDTH - LEFT - RIGHT, height);
  }

  private void xAxis(int y) {
    double step = niceStep(tMax / 10);
    for (double t = 0; t <= tMax + 1e-9; t += step) {
      double x = x(t);
      add("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>", x, y, x, y + 5);
      text(x, y + 18, "middle", "", number(t));
      add(
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>",
          x, TOP + TOP_HEIGHT, x, TOP + TOP_HEIGHT + 5);
    }
    text(WIDTH - RIGHT, y + 18, "start", "", "  t (s)");
  }

  private void yAxis(
      int top, int height, double max, int x, String anchor, String label, String color) {
    double step = niceStep(max / 6);
    int dx = "end".equals(anchor) ? -6 : 6;
    for (double v = 0; v <= max + 1e-9; v += step) {
      double y = top + height - v / max * height;
      text(x + dx, y + 4, anchor, "fill=\"" + color + "\"", number(v));
      if ("end".equals(anchor)) {
        add(
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>",
            LEFT, y, WIDTH - RIGHT, y);
      }
    }
    double labelX = "end".equals(anchor) ? x - 48 : x + 52;
    add(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\""
            + " transform=\"rotate(-90 %.1f %.1f)\">%s</text>",
        labelX, top + height / 2.0, color, labelX, top + height / 2.0, escape(label));
  }

  private void step(
      List<Sample> samples,
      ToDoubleFunction<Sample> value,
      double max,
      int top,
      int height,
      String color,
      String dash,
      double width) {
    if (samples.isEmpty()) {
      return;
    }
    StringBuilder points = new StringBuilder();
    double previous = Double.NaN;
    for (Sample s : samples) {
      double y = top + height - value.applyAsDouble(s) / max * height;
      if (!Double.isNaN(previous)) {
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(s.t()), previous));
      }
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(s.t()), y));
      previous = y;
    }
    add(
        "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>",
        points.toString().trim(),
        color,
        width,
        dash == null ? "" : " stroke-dasharray=\"" + dash + "\"");
  }

  private void area(
      List<Sample> samples, ToDoubleFunction<Sample> value, double max, int top, int height) {
    if (samples.isEmpty()) {
      return;
    }
    StringBuilder points = new StringBuilder();
    double bottom = top + height;
    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x(samples.get(0).t()), bottom));
    for (Sample s : samples) {
      points.append(
          String.format(
              Locale.ROOT, "%.1f,%.1f ", x(s.t()), bottom - value.applyAsDouble(s) / max * height));
    }
    points.append(
        String.format(Locale.ROOT, "%.1f,%.1f", x(samples.get(samples.size() - 1).t()), bottom));
    add(
        "<polygon points=\"%s\" fill=\"%s\" fill-opacity=\"0.25\" stroke=\"%s\""
            + " stroke-width=\"1\"/>",
        points, QUEUE, QUEUE);
  }

  /** A line through the samples that have a value; a gap where they have none (NaN). */
  private void line(
      List<Sample> samples,
      ToDoubleFunction<Sample> value,
      double max,
      int top,
      int height,
      String color) {
    List<String> segments = new ArrayList<>();
    StringBuilder points = new StringBuilder();
    for (Sample s : samples) {
      double v = value.applyAsDouble(s);
      if (Double.isNaN(v)) {
        if (points.length() > 0) {
          segments.add(points.toString().trim());
          points.setLength(0);
        }
        continue;
      }
      points.append(
          String.format(Locale.ROOT, "%.1f,%.1f ", x(s.t()), top + height - v / max * height));
    }
    if (points.length() > 0) {
      segments.add(points.toString().trim());
    }
    for (String segment : segments) {
      add(
          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"/>",
          segment, color);
      if (!segment.contains(" ")) {
        String[] xy = segment.split(",");
        add("<circle cx=\"%s\" cy=\"%s\" r=\"2\" fill=\"%s\"/>", xy[0], xy[1], color);
      }
    }
  }

  private void legend(int y, String[] labels, String[] colors) {
    double x = LEFT;
    for (int i = 0; i < labels.length; i++) {
      add(
          "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>",
          x, y - 4, x + 22, y - 4, colors[i]);
      text(x + 28, y, "start", "", labels[i]);
      x += 40 + labels[i].length() * 7;
    }
  }

  private int bottomTop() {
    return TOP + TOP_HEIGHT + GAP;
  }

  private double x(double t) {
    return LEFT + t / tMax * (WIDTH - LEFT - RIGHT);
  }

  private void text(double x, double y, String anchor, String attributes, String content) {
    add(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>%s</text>",
        x, y, anchor, attributes.isEmpty() ? "" : " " + attributes, escape(content));
  }

  private void add(String format, Object... args) {
    svg.append(String.format(Locale.ROOT, format, args)).append('\n');
  }

  /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
  static double niceStep(double rough) {
    if (!(rough > 0)) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(rough)));
    for (double factor : new double[] {1, 2, 5, 10}) {
      if (factor * power >= rough) {
        return factor * power;
      }
    }
    return 10 * power;
  }

  /** The smallest multiple of a nice step (a sixth of {@code max}, roughly) that is >= max. */
  static double niceCeiling(double max) {
    double step = niceStep(max / 6);
    return Math.max(step, Math.ceil(max / step) * step);
  }

  private static String number(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.1f", value);
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
