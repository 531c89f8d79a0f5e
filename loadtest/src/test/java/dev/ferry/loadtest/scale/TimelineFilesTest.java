package dev.ferry.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The timeline as CSV, JSON and an SVG chart. */
class TimelineFilesTest {
  @TempDir Path dir;

  @Test
  void writesCsvJsonAndAWellFormedSvg() throws Exception {
    List<Sample> samples =
        List.of(
            sample(0, "idle", 0, 0, 0, Double.NaN, ""),
            sample(1, "burst", 0, 0, 30, Double.NaN, "0->1 activate: metric 30 > 0"),
            sample(2, "burst", 1, 1, 20, 850.5, "1->2 hpa: ceil(20/16) = 2"),
            sample(3, "after", 2, 2, 0, 510, ""),
            sample(4, "after", 0, 0, 0, Double.NaN, "2->0 to-zero: metric 0 <= 0 for over 5s"));
    List<Poll> polls =
        List.of(
            poll(1, 30, 0, -1, 1, Decision.Reason.ACTIVATE),
            poll(2, 20, 1, 2, 2, Decision.Reason.HPA),
            poll(4, 0, 2, -1, 0, Decision.Reason.TO_ZERO));
    Summary summary =
        new Summary(
            80,
            80,
            Map.of(),
            0,
            0,
            12,
            12,
            2500,
            List.of(0, 1, 2, 0),
            1,
            2,
            4,
            new Summary.Latency(510, 2400, 2600),
            2,
            Map.of("0", 2L),
            0,
            0);

    TimelineFiles.write(dir, config(), summary, polls, samples);

    List<String> csv = Files.readAllLines(dir.resolve(TimelineFiles.CSV));
    assertThat(csv).hasSize(6);
    assertThat(csv.get(0)).startsWith("t_s,phase,replicas,ready_replicas");
    assertThat(csv.get(3)).startsWith("2.0,burst,1,1,0,20,0,20,").contains("850.5");
    Map<String, Object> json = json(dir.resolve(TimelineFiles.JSON));
    @SuppressWarnings("unchecked")
    Map<String, Object> parsedSummary = (Map<String, Object>) json.get("summary");
    assertThat(parsedSummary)
        .containsEntry("pass", true)
        .containsEntry("lost", 0)
        .containsEntry("replicaSequence", List.of(0, 1, 2, 0))
        .containsEntry("zeroToManyToZero", true)
        .containsEntry("sentAtZeroReplicas", 12);
    assertThat((List<?>) json.get("timeline")).hasSize(5);
    assertThat((List<?>) json.get("polls")).hasSize(3);
    Document svg =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(dir.resolve(TimelineFiles.SVG).toFile());
    assertThat(svg.getDocumentElement().getTagName()).isEqualTo("svg");
    assertThat(svg.getElementsByTagName("polyline").getLength()).isGreaterThanOrEqualTo(5);
    assertThat(Files.readString(dir.resolve(TimelineFiles.SVG)))
        .contains("replicas", "queue length", "p99 latency", "burst 40/s");
  }

  @Test
  void choosesNiceAxisSteps() {
    assertThat(TimelineChart.niceStep(0.7)).isEqualTo(1);
    assertThat(TimelineChart.niceStep(3)).isEqualTo(5);
    assertThat(TimelineChart.niceStep(12)).isEqualTo(20);
    assertThat(TimelineChart.niceCeiling(87)).isEqualTo(100);
    assertThat(TimelineChart.niceCeiling(3)).isEqualTo(3);
  }

  private ScaleConfig config() throws IOException {
    ScaledObject object = ScaledObject.parse(ScaledObjectTest.fixture(), "fixture");
    Path jar = Files.writeString(dir.resolve("sidecar.jar"), "not really");
    return new ScaleConfig(
        "amqp://guest:guest@127.0.0.1:5672/",
        Path.of("fixture.yaml"),
        object,
        ScalingRules.of(object, 1, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ZERO),
        "echo",
        LoadPattern.parse("idle:1s,burst:2s@40/s"),
        Duration.ofMillis(500),
        Duration.ofSeconds(30),
        16,
        jar,
        jar,
        "quorum",
        dir,
        null,
        Duration.ofMinutes(1));
  }

  private static Sample sample(
      double t, String phase, int replicas, int ready, long metric, double p50, String note) {
    return new Sample(
        t, phase, replicas, ready, 0, metric, 0, metric, replicas, 40, 20, 0, p50, p50 * 2, note);
  }

  private static Poll poll(
      double t, long metric, int from, int recommendation, int to, Decision.Reason reason) {
    return new Poll(
        t, new Decision(Instant.EPOCH, metric, metric > 0, from, recommendation, to, reason));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> json(Path file) throws IOException {
    // JSON is YAML: the loadtest module reads its own JSON with SnakeYAML.
    return (Map<String, Object>)
        new Yaml(new SafeConstructor(new LoaderOptions()))
            .load(Files.readString(file, StandardCharsets.UTF_8));
  }
}
