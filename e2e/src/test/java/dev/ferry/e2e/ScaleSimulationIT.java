package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.common.Cli;
import dev.ferry.loadtest.LoadtestMain;
import dev.ferry.testing.RabbitBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Scale from zero on one machine ({@code ferry-loadtest scale}), short: the repository's KEDA
 * ScaledObject with polling every second, a 5 s cooldown and a 3 s scale-down stabilization window;
 * 2 s idle, 10 s at 40 requests a second (each taking the echo 500 ms, so about 20 are in progress
 * at once: more than one replica's {@code value} of 16), then idle until back to zero. Server
 * sidecars run as processes from their jar, started and SIGTERMed as KEDA and the HPA would.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScaleSimulationIT {
  /** The manifest under test, from the e2e module's directory (where the tests run). */
  private static final Path SCALED_OBJECT =
      Path.of("..", "deploy", "keda", "echo-scaledobject.yaml").toAbsolutePath().normalize();

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  @TempDir Path dir;

  @Test
  void scalesFromZeroToSeveralReplicasAndBackWithoutLosingARequest() throws Exception {
    assertThat(SCALED_OBJECT).as("the KEDA manifest the simulation reads").isRegularFile();
    StringWriter out = new StringWriter();

    int status =
        Cli.commandLine(new LoadtestMain(), Map.of())
            .setOut(new PrintWriter(out, true))
            .execute(
                "scale",
                "--amqp-uri",
                broker.uri(),
                "--scaled-object",
                SCALED_OBJECT.toString(),
                "--service",
                broker.newService("scale"),
                "--polling-interval",
                "1s",
                "--cooldown",
                "5s",
                "--stabilization",
                "3s",
                "--pattern",
                "idle:2s,burst:10s@40/s",
                "--delay",
                "500ms",
                "--settle-timeout",
                "40s",
                "--client-jar",
                jar("client-sidecar", "ferry-client-sidecar.jar").toString(),
                "--server-jar",
                jar("server-sidecar", "ferry-server-sidecar.jar").toString(),
                "--out-dir",
                dir.toString(),
                "--log-dir",
                dir.resolve("logs").toString());

    System.out.println(out); // The timeline and the summary, for the test report.
    assertThat(status).as("exit status; the simulation said:%n%s", out).isZero();
    Map<String, Object> summary = summary(dir.resolve("scale-timeline.json"));
    assertThat(summary)
        .as("summary")
        .containsEntry("pass", true)
        .containsEntry("sent", 400)
        .containsEntry("ok", 400)
        .containsEntry("lost", 0)
        .containsEntry("okNeverExecuted", 0);
    List<Integer> replicas = replicaSequence(summary);
    assertThat(replicas.get(0)).as("replicas %s start", replicas).isZero();
    assertThat(replicas.get(replicas.size() - 1)).as("replicas %s end", replicas).isZero();
    assertThat(replicas.subList(1, replicas.size() - 1))
        .as("replicas %s in between", replicas)
        .anySatisfy(count -> assertThat(count).isGreaterThanOrEqualTo(2));
    assertThat((Integer) summary.get("sentAtZeroReplicas"))
        .as("requests sent while no server sidecar ran")
        .isPositive()
        .isEqualTo(summary.get("okAtZeroReplicas"));
    assertThat(dir.resolve("scale-timeline.svg")).content().startsWith("<?xml").contains("<svg");
    assertThat(dir.resolve("scale-timeline.csv")).content().startsWith("t_s,phase,replicas");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> summary(Path json) throws Exception {
    // JSON is YAML: SnakeYAML (the loadtest module's manifest reader) reads the command's result.
    Map<String, Object> result =
        (Map<String, Object>)
            new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(json, StandardCharsets.UTF_8));
    return (Map<String, Object>) result.get("summary");
  }

  @SuppressWarnings("unchecked")
  private static List<Integer> replicaSequence(Map<String, Object> summary) {
    return (List<Integer>) summary.get("replicaSequence");
  }

  /**
   * A sidecar's shaded jar, packaged by its module (the e2e module runs from its own directory).
   */
  private static Path jar(String module, String name) {
    Path jar = Path.of("..", module, "target", name).toAbsolutePath().normalize();
    assertThat(jar)
        .as("%s: package the sidecars first (./mvnw -q -DskipTests package)", jar)
        .isRegularFile();
    return jar;
  }
}
