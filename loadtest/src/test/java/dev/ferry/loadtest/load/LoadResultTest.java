package dev.ferry.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LoadResultTest {
  private static final LoadSpec OPEN =
      new LoadSpec(200, 0, 512, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(5));

  @Test
  void ratesAreCountsOverTheMeasuredWindow() {
    LoadResult result = result(OPEN, 2_000_000_000L, 400, 390, uniformMillis(1, 390));

    assertThat(result.sentPerSecond()).isEqualTo(200.0);
    assertThat(result.okPerSecond()).isEqualTo(195.0);
    assertThat(LoadResult.perSecond(10, 0)).isZero();
  }

  @Test
  void percentilesComeFromTheHistogramInMilliseconds() {
    LoadResult result = result(OPEN, 1_000_000_000L, 1_000, 1_000, uniformMillis(1, 1_000));

    Map<String, Double> percentiles = result.percentilesMillis();
    assertThat(percentiles.keySet()).containsExactly("p50", "p90", "p99", "p99.9", "max");
    assertThat(percentiles.get("p50")).isCloseTo(500, within(1.0));
    assertThat(percentiles.get("p90")).isCloseTo(900, within(1.0));
    assertThat(percentiles.get("p99")).isCloseTo(990, within(1.0));
    assertThat(percentiles.get("p99.9")).isCloseTo(999, within(1.0));
    assertThat(percentiles.get("max")).isCloseTo(1_000, within(1.0));
  }

  @Test
  void errorsAreCountedByKindAndReportedWithRequestedAndAchievedRate() {
    LoadResult result =
        new LoadResult(
            "t",
            OPEN,
            1_000_000_000L,
            200,
            197,
            Map.of("http-500", 1L, "ferry-error:timeout", 2L),
            uniformMillis(1, 197),
            List.of());

    assertThat(result.errorCount()).isEqualTo(3);
    Map<String, Object> map = result.toMap();
    assertThat(map).containsEntry("requestedPerSecond", 200.0).containsEntry("okPerSecond", 197.0);
    assertThat(map.get("errorsByKind").toString()).isEqualTo("{ferry-error:timeout=2, http-500=1}");
    assertThat(result.summary()).contains("requested 200.0/s", "ferry-error:timeout=2");
  }

  @Test
  void anEmptyRunReportsZeroLatencyRatherThanFailing() {
    LoadResult result = result(OPEN, 1_000_000_000L, 0, 0, new Histogram(3));

    assertThat(result.percentilesMillis().values()).containsOnly(0.0);
  }

  private static LoadResult result(
      LoadSpec spec, long windowNanos, long sent, long ok, Histogram latency) {
    return new LoadResult("t", spec, windowNanos, sent, ok, Map.of(), latency, List.of());
  }

  /** Latencies of 1, 2, ... n milliseconds times {@code step}, in microseconds. */
  private static Histogram uniformMillis(int step, int n) {
    Histogram histogram = new Histogram(3);
    for (int i = 1; i <= n; i++) {
      histogram.recordValue(i * step * 1_000L);
    }
    return histogram;
  }
}
