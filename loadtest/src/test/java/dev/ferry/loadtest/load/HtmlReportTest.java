package dev.ferry.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class HtmlReportTest {
  @Test
  void rendersASelfContainedPageWithTheTimeAndPercentileCharts() {
    Histogram latency = new Histogram(3);
    for (int i = 1; i <= 1_000; i++) {
      latency.recordValue(i * 10L);
    }
    LoadResult result =
        new LoadResult(
            "http <echo> & co",
            LoadSpec.closed(4, 512, Duration.ZERO, Duration.ofSeconds(3), Duration.ofSeconds(5)),
            3_000_000_000L,
            1_000,
            1_000,
            Map.of(),
            latency,
            List.of(
                new TimelinePoint(1, 300, 0, 4_000, 9_000, 9_500),
                new TimelinePoint(2, 340, 0, 5_000, 9_900, 10_000),
                new TimelinePoint(3, 360, 0, 5_500, 9_950, 10_000)));

    String html = HtmlReport.render("report", List.of(result));

    assertThat(html)
        .startsWith("<!DOCTYPE html>")
        .contains("Latency over time", "Latency by percentile");
    assertThat(html.split("<svg ", -1)).hasSize(3);
    // Time chart: p50 and p99 lines of three points; percentile chart: one line of many points.
    assertThat(html.split("<polyline ", -1)).hasSize(4);
    assertThat(html).contains("stroke-dasharray", "99.9%", "http &lt;echo&gt; &amp; co");
    assertThat(html).doesNotContain("<script", "src=", "href=\"http");
  }

  @Test
  void labelsPercentileTicksByTheirNines() {
    assertThat(HtmlReport.percentileLabel(0)).isEqualTo("0%");
    assertThat(HtmlReport.percentileLabel(1)).isEqualTo("90%");
    assertThat(HtmlReport.percentileLabel(2)).isEqualTo("99%");
    assertThat(HtmlReport.percentileLabel(4)).isEqualTo("99.99%");
  }

  @Test
  void roundsAxisMaximaUpToOneTwoOrFive() {
    assertThat(HtmlReport.niceCeiling(0.7)).isEqualTo(1.0);
    assertThat(HtmlReport.niceCeiling(13)).isEqualTo(20.0);
    assertThat(HtmlReport.niceCeiling(41)).isEqualTo(50.0);
  }
}
