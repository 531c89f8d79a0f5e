package dev.ferry.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ferry.common.Cli.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a KEDA ScaledObject: its numbers, KEDA's defaults, and what is refused. */
class ScaledObjectTest {
  /** The repository's manifest, from the loadtest module's directory (where tests run). */
  private static final Path REPOSITORY_MANIFEST =
      Path.of("..", "deploy", "keda", "echo-scaledobject.yaml");

  @Test
  void readsTheScaledObjectAmongOtherDocuments() throws IOException {
    ScaledObject object = ScaledObject.parse(fixture(), "fixture");

    assertThat(object.name()).isEqualTo("echo");
    assertThat(object.minReplicaCount()).isZero();
    assertThat(object.maxReplicaCount()).isEqualTo(10);
    assertThat(object.pollingInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(object.cooldownPeriod()).isEqualTo(Duration.ofSeconds(300));
    assertThat(object.scaleDownStabilization()).isEqualTo(Duration.ofSeconds(120));
    assertThat(object.scaleUpStabilization()).isZero();
    assertThat(object.trigger().queueName()).isEqualTo("ferry.req.echo");
    assertThat(object.trigger().value()).isEqualTo(16);
    assertThat(object.trigger().activationValue()).isZero();
    assertThat(object.trigger().countsUnacknowledged()).isTrue();
  }

  @Test
  void appliesKedaAndHpaDefaults() {
    ScaledObject object =
        ScaledObject.parse(
            """
            kind: ScaledObject
            metadata: {name: minimal}
            spec:
              triggers:
                - type: rabbitmq
                  metadata: {queueName: ferry.req.x, mode: QueueLength, value: 5}
            """,
            "minimal");

    assertThat(object.minReplicaCount()).isZero();
    assertThat(object.maxReplicaCount()).isEqualTo(100);
    assertThat(object.pollingInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(object.cooldownPeriod()).isEqualTo(Duration.ofSeconds(300));
    assertThat(object.scaleDownStabilization()).isEqualTo(Duration.ofSeconds(300));
    assertThat(object.trigger().activationValue()).isZero();
    assertThat(object.trigger().value()).isEqualTo(5);
    assertThat(object.trigger().countsUnacknowledged()).as("amqp sees ready only").isFalse();
    assertThat(object.scaleUpPolicies()).isEqualTo(ScalingPolicies.DEFAULT_UP);
  }

  @Test
  void readsScalingPolicies() {
    ScaledObject object =
        ScaledObject.parse(
            """
            kind: ScaledObject
            spec:
              advanced:
                horizontalPodAutoscalerConfig:
                  behavior:
                    scaleUp:
                      selectPolicy: Min
                      policies:
                        - {type: Pods, value: 2, periodSeconds: 30}
              triggers:
                - type: rabbitmq
                  metadata: {queueName: ferry.req.x, mode: QueueLength, value: "5"}
            """,
            "policies");

    assertThat(object.scaleUpPolicies())
        .isEqualTo(
            new ScalingPolicies(
                "Min", List.of(new ScalingPolicies.Policy("Pods", 2, Duration.ofSeconds(30)))));
    assertThat(object.scaleUpPolicies().scaled(10).policies().get(0).period())
        .isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void excludeUnacknowledgedCountsReadyMessagesOnly() {
    ScaledObject object =
        ScaledObject.parse(
            """
            kind: ScaledObject
            spec:
              triggers:
                - type: rabbitmq
                  metadata:
                    queueName: ferry.req.x
                    mode: QueueLength
                    value: "5"
                    protocol: http
                    excludeUnacknowledged: "true"
            """,
            "exclude");

    assertThat(object.trigger().countsUnacknowledged()).isFalse();
  }

  @Test
  void refusesOtherModesAndMissingTriggersNamingTheFile() {
    assertThatThrownBy(
            () ->
                ScaledObject.parse(
                    """
                    kind: ScaledObject
                    spec:
                      triggers:
                        - type: rabbitmq
                          metadata: {queueName: q, mode: MessageRate, value: "5"}
                    """,
                    "rate.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "--scaled-object: rate.yaml: rabbitmq trigger mode 'MessageRate' (expected:"
                + " QueueLength)");
    assertThatThrownBy(
            () -> ScaledObject.parse("kind: ScaledObject\nspec: {triggers: []}\n", "none.yaml"))
        .hasMessageContaining("none.yaml")
        .hasMessageContaining("0 rabbitmq triggers");
    assertThatThrownBy(() -> ScaledObject.parse("kind: Deployment\n", "deployment.yaml"))
        .hasMessageContaining("no document of kind ScaledObject");
    assertThatThrownBy(() -> ScaledObject.parse("kind: [", "broken.yaml"))
        .hasMessageContaining("broken.yaml: not YAML");
  }

  @Test
  void refusesAFileThatCannotBeRead() {
    assertThatThrownBy(() -> ScaledObject.read(Path.of("no-such-dir", "so.yaml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--scaled-object: cannot read")
        .hasMessageContaining("so.yaml");
  }

  @Test
  void readsTheRepositorysManifestOnceItExists() {
    assumeThat(REPOSITORY_MANIFEST).isRegularFile();

    ScaledObject object = ScaledObject.read(REPOSITORY_MANIFEST);

    assertThat(object.minReplicaCount()).isZero();
    assertThat(object.maxReplicaCount()).isGreaterThanOrEqualTo(2);
    assertThat(ScaleConfig.serviceOf(object.trigger().queueName())).isEqualTo("echo");
  }

  static String fixture() throws IOException {
    try (InputStream in = ScaledObjectTest.class.getResourceAsStream("echo-scaledobject.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static Path fixtureFile(Path dir) throws IOException {
    return Files.writeString(dir.resolve("echo-scaledobject.yaml"), fixture());
  }
}
