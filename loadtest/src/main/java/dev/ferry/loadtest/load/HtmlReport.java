package dev.ferry.loadtest.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Renders results as one self-contained HTML page: a table of the numbers, latency over time (p50
 * and p99 a second) and the latency by percentile, both as inline SVG. No scripts, no styles or
 * fonts from elsewhere: the page opens on a machine without internet.
 */
public final class HtmlReport {
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"
  };
  private static final int WIDTH = 760;
  private static final int HEIGHT = 320;
  private static final int LEFT = 64;
  private static final int RIGHT = 180;
  private static final int TOP = 20;
  private static final int BOTTOM = 40;

  private HtmlReport() {}

  /** The page for {@code results}, under {@code title}. */
  public static String render(String title, List<LoadResult> results) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(escape(title))
        .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;")
        .append("text-align:right}th:first-child,td:first-child{text-align:left}")
        .append("svg{display:block;margin:1em 0}</style></head><body>\n<h1>")
        .append(escape(title))
        .append("</h1>\n");
    table(html, results);
    html.append("<h2>Latency over time (p50 solid, p99 dashed)</h2>\n");
    html.append(latencyOverTime(results));
    html.append("<h2>Latency by percentile</h2>\n");
    html.append(percentiles(results));
    return html.append("</body></html>\n").toString();
  }

  private static void table(StringBuilder html, List<LoadResult> results) {
    html.append("<table><tr><th>run</th><th>load</th><th>ok/s</th><th>ok</th><th>errors</th>");
    for (String name : List.of("p50", "p90", "p99", "p99.9", "max")) {
      html.append("<th>").append(name).append(" ms</th>");
    }
    html.append("</tr>\n");
    for (LoadResult result : results) {
      html.append("<tr><td>")
          .append(escape(result.label()))
          .append("</td><td>")
          .append(escape(result.spec().describe()))
          .append("</td><td>")
          .append(format("%.1f", result.okPerSecond()))
          .append("</td><td>")
          .append(result.ok())
          .append("</td><td>")
          .append(result.errorCount())
          .append(result.errors().isEmpty() ? "" : " " + escape(result.errors().toString()))
          .append("</td>");
      result
          .percentilesMillis()
          .values()
          .forEach(millis -> html.append("<td>").append(format("%.3f", millis)).append("</td>"));
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  /** p50 (solid) and p99 (dashed) of each second of each result, milliseconds over seconds. */
  static String latencyOverTime(List<LoadResult> results) {
    double maxX = 1;
    double maxY = 0.001;
    for (LoadResult result : results) {
      for (TimelinePoint point : result.timeline()) {
        maxX = Math.max(maxX, point.atSeconds());
        maxY = Math.max(maxY, point.p99Micros() / 1000.0);
      }
    }
    Chart chart = new Chart("seconds", "latency (ms)", 0, maxX, 0, niceCeiling(maxY));
    for (int i = 0; i < results.size(); i++) {
      LoadResult result = results.get(i);
      List<double[]> p50 = new ArrayList<>();
      List<double[]> p99 = new ArrayList<>();
      for (TimelinePoint point : result.timeline()) {
        p50.add(new double[] {point.atSeconds(), point.p50Micros() / 1000.0});
        p99.add(new double[] {point.atSeconds(), point.p99Micros() / 1000.0});
      }
      String color = COLORS[i % COLORS.length];
      chart.line(p50, color, false);
      chart.line(p99, color, true);
      chart.legend(i, result.label() + " " + result.spec().describe(), color);
    }
    chart.xTicks(ticks(0, maxX), value -> format("%.0f", value));
    return chart.render();
  }

  /** Latency against percentile, the percentile on a log scale of 1/(1-p): 0, 90, 99, 99.9... */
  static String percentiles(List<LoadResult> results) {
    double maxX = 2;
    double maxY = 0.001;
    List<List<double[]>> lines = new ArrayList<>();
    for (LoadResult result : results) {
      List<double[]> line = new ArrayList<>();
      if (result.latencyMicros().getTotalCount() > 0) {
        for (HistogramIterationValue value : result.latencyMicros().percentiles(5)) {
          double percentile = value.getPercentileLevelIteratedTo();
          if (percentile >= 100) {
            continue;
          }
          double x = -Math.log10(1 - percentile / 100);
          double y = value.getValueIteratedTo() / 1000.0;
          line.add(new double[] {x, y});
          maxX = Math.max(maxX, x);
          maxY = Math.max(maxY, y);
        }
      }
      lines.add(line);
    }
    maxX = Math.min(Math.ceil(maxX), 6);
    Chart chart = new Chart("percentile", "latency (ms)", 0, maxX, 0, niceCeiling(maxY));
    for (int i = 0; i < results.size(); i++) {
      String color = COLORS[i % COLORS.length];
      chart.line(lines.get(i), color, false);
      chart.legend(i, results.get(i).label() + " " + results.get(i).spec().describe(), color);
    }
    List<Double> ticks = new ArrayList<>();
    for (int x = 0; x <= maxX; x++) {
      ticks.add((double) x);
    }
    chart.xTicks(ticks, HtmlReport::percentileLabel);
    return chart.render();
  }

  /** 0 → "0%", 1 → "90%", 2 → "99%", 3 → "99.9%". */
  static String percentileLabel(double x) {
    if (x == 0) {
      return "0%";
    }
    int nines = (int) Math.round(x);
    if (nines == 1) {
      return "90%";
    }
    return "99" + (nines > 2 ? "." + "9".repeat(nines - 2) : "") + "%";
  }

  /** 1, 2 or 5 times a power of ten, at least {@code value}. */
  static double niceCeiling(double value) {
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * power >= value) {
        return step * power;
      }
    }
    return 10 * power;
  }

  private static List<Double> ticks(double from, double to) {
    double step = niceCeiling((to - from) / 8);
    List<Double> ticks = new ArrayList<>();
    for (double x = from; x <= to + 1e-9; x += step) {
      ticks.add(x);
    }
    return ticks;
  }

  static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String format(String pattern, double value) {
    return String.format(Locale.ROOT, pattern, value);
  }

  /** One SVG line chart with linear axes. */
  private static final class Chart {
    private final StringBuilder body = new StringBuilder();
    private final StringBuilder axes = new StringBuilder();
    private final double minX;
    private final double maxX;
    private final double minY;
    private final double maxY;

    Chart(String xLabel, String yLabel, double minX, double maxX, double minY, double maxY) {
      this.minX = minX;
      this.maxX = maxX;
      this.minY = minY;
      this.maxY = maxY;
      int plotRight = WIDTH - RIGHT;
      int plotBottom = HEIGHT - BOTTOM;
      axes.append(
          format(
              "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>\n",
              LEFT, TOP, plotRight - LEFT, plotBottom - TOP));
      for (int i = 0; i <= 4; i++) {
        double value = minY + (maxY - minY) * i / 4;
        double y = y(value);
        axes.append(
                format(
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
                    LEFT, plotRight, y, y))
            .append(
                format(
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                    LEFT - 4, y + 4, trim(value)));
      }
      axes.append(
              format(
                  "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">%s</text>",
                  (LEFT + plotRight) / 2, HEIGHT - 6, escape(xLabel)))
          .append(
              format(
                  "<text x=\"14\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 14 %d)\""
                      + " text-anchor=\"middle\">%s</text>\n",
                  (TOP + plotBottom) / 2, (TOP + plotBottom) / 2, escape(yLabel)));
    }

    private static String format(String pattern, Object... values) {
      return String.format(Locale.ROOT, pattern, values);
    }

    private static String trim(double value) {
      return value >= 10 ? format("%.0f", value) : format("%.2f", value);
    }

    double x(double value) {
      return LEFT + (value - minX) / (maxX - minX) * (WIDTH - RIGHT - LEFT);
    }

    double y(double value) {
      double clamped = Math.min(Math.max(value, minY), maxY);
      return HEIGHT - BOTTOM - (clamped - minY) / (maxY - minY) * (HEIGHT - BOTTOM - TOP);
    }

    void xTicks(List<Double> ticks, java.util.function.DoubleFunction<String> label) {
      for (double tick : ticks) {
        axes.append(
            format(
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
                x(tick), HEIGHT - BOTTOM + 14, escape(label.apply(tick))));
      }
    }

    void line(List<double[]> points, String color, boolean dashed) {
      if (points.isEmpty()) {
        return;
      }
      body.append("<polyline fill=\"none\" stroke=\"")
          .append(color)
          .append(dashed ? "\" stroke-dasharray=\"5,3" : "")
          .append("\" stroke-width=\"1.5\" points=\"");
      for (double[] point : points) {
        body.append(format("%.1f,%.1f ", x(point[0]), y(point[1])));
      }
      body.append("\"/>\n");
    }

    void legend(int index, String text, String color) {
      int y = TOP + 12 + index * 16;
      int x = WIDTH - RIGHT + 10;
      body.append(
          format(
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
              x, y - 9, color, x + 14, y, escape(text)));
    }

    String render() {
      return format(
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                  + " viewBox=\"0 0 %d %d\">\n",
              WIDTH, HEIGHT, WIDTH, HEIGHT)
          + axes
          + body
          + "</svg>\n";
    }
  }
}
