package dev.ferry.loadtest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.loadtest.load.LoadResult;
import dev.ferry.loadtest.load.LoadSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class TargetTest {
  @Test
  void marksEachTargetPassOrMissFromTheCells() {
    List<Cell> cells =
        List.of(
            cell(Configuration.RAW_RPC, "low", 1, 1_000, 1_000),
            cell(Configuration.HTTP_PAIR, "low", 1, 600, 1_200),
            cell(Configuration.GRPC_PAIR, "low", 1, 400, 1_400),
            cell(Configuration.RAW_RPC, "high", 64, 10_000, 5_000),
            cell(Configuration.HTTP_PAIR, "high", 64, 7_500, 6_000),
            cell(Configuration.GRPC_PAIR, "high", 64, 5_000, 9_000));
    List<SidecarFacts> sidecars =
        List.of(new SidecarFacts("client", 800, 100), new SidecarFacts("server", 1_200, 140));

    List<Target> targets = Target.evaluate(BenchReport.byKey(cells), sidecars, 1, 64);

    assertThat(targets)
        .extracting(Target::name, Target::pass)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "HTTP via pair / raw RPC, req/s at 64 callers", true),
            org.assertj.core.groups.Tuple.tuple(
                "gRPC via pair / raw RPC, req/s at 64 callers", false),
            org.assertj.core.groups.Tuple.tuple(
                "HTTP via pair, p50 added to raw RPC at 1 caller(s)", true),
            org.assertj.core.groups.Tuple.tuple("HTTP via pair, p99 at 1 caller(s)", true),
            org.assertj.core.groups.Tuple.tuple(
                "gRPC via pair, p50 added to raw RPC at 1 caller(s)", false),
            org.assertj.core.groups.Tuple.tuple("gRPC via pair, p99 at 1 caller(s)", true),
            org.assertj.core.groups.Tuple.tuple("client sidecar peak RSS", true),
            org.assertj.core.groups.Tuple.tuple("server sidecar peak RSS", false),
            org.assertj.core.groups.Tuple.tuple("client sidecar start to ready", true),
            org.assertj.core.groups.Tuple.tuple("server sidecar start to ready", false));
    assertThat(targets.get(0).value()).isEqualTo(0.75);
  }

  @Test
  void aMissingMeasurementIsAMiss() {
    List<Target> targets = Target.evaluate(Map.of(), List.of(), 1, 64);

    assertThat(targets).isNotEmpty().noneMatch(Target::pass);
  }

  @Test
  void theMarkdownTableCarriesEveryCellRatioAndVerdict() {
    List<Cell> cells =
        List.of(
            cell(Configuration.RAW_RPC, "high", 64, 10_000, 5_000),
            cell(Configuration.HTTP_PAIR, "high", 64, 7_500, 6_000));
    List<SidecarFacts> sidecars = List.of(new SidecarFacts("client", 800, 100));
    BenchReport report =
        new BenchReport(
            Map.of("queueType", "quorum"),
            cells,
            sidecars,
            Target.evaluate(BenchReport.byKey(cells), sidecars, 1, 64),
            1,
            64);

    String markdown = report.markdown();
    assertThat(markdown)
        .contains("| (b) raw RabbitMQ RPC (amqp-client) | 64 | 10000 |")
        .contains("(c)/(b) = 0.75")
        .contains("| PASS |", "| MISS |");
    assertThat(report.toMap()).containsKeys("queueType", "cells", "ratios", "sidecars", "targets");
  }

  /** {@code perSecond} answers in a 1 s window, all with latency {@code micros}. */
  private static Cell cell(
      Configuration configuration, String load, int callers, long perSecond, long micros) {
    Histogram latency = new Histogram(3);
    latency.recordValueWithCount(micros, perSecond);
    LoadResult result =
        new LoadResult(
            configuration.label(),
            LoadSpec.closed(
                callers, 512, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(5)),
            1_000_000_000L,
            perSecond,
            perSecond,
            Map.of(),
            latency,
            List.of());
    return new Cell(configuration, load, result, Map.of("client", 10.0));
  }
}
