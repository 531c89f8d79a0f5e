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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault soak ({@code ferry-loadtest soak}), short: 20 s of load at 20 requests per second
 * against a client sidecar and two server sidecars running as processes from their jars, with a
 * random fault every 2.5 s (7 faults: cuts, blackholes, delays, SIGKILL, SIGTERM). Every invariant
 * must hold. The jars are the ones the build packaged before this module's integration tests.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SoakIT {
  private static final List<String> MUST_BE_ZERO =
      List.of(
          "noAnswer",
          "late",
          "wrongAnswer",
          "unmarkedError",
          "okNeverExecuted",
          "executedMoreThanOnceOtherwise",
          "executionsAfterDeadline",
          "strayExecutions",
          "clientPending",
          "queueMessages",
          "openConnections",
          "unstoppedSidecars");

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  @TempDir Path dir;

  @Test
  void keepsEveryInvariantUnderRandomFaults() throws Exception {
    Path summary = dir.resolve("soak.json");
    StringWriter out = new StringWriter();

    int status =
        Cli.commandLine(new LoadtestMain(), Map.of())
            .setOut(new PrintWriter(out, true))
            .execute(
                "soak",
                "--amqp-uri",
                broker.uri(),
                "--duration",
                "20s",
                "--fault-every",
                "2500ms",
                "--rate",
                "20",
                "--client-jar",
                jar("client-sidecar", "ferry-client-sidecar.jar").toString(),
                "--server-jar",
                jar("server-sidecar", "ferry-server-sidecar.jar").toString(),
                "--out",
                summary.toString(),
                "--log-dir",
                dir.resolve("logs").toString());

    System.out.println(out); // The fault lines and the result block, for the test report.
    assertThat(status).as("exit status; the soak said:%n%s", out).isZero();
    String json = Files.readString(summary, StandardCharsets.UTF_8);
    assertThat(json).contains("\"holds\": true");
    for (String invariant : MUST_BE_ZERO) {
      assertThat(count(json, invariant)).as(invariant).isZero();
    }
    assertThat(count(json, "sent")).isBetween(380L, 420L);
    assertThat(count(json, "ok")).isGreaterThan(count(json, "sent") / 2);
    assertThat(json.split("\"kind\": ", -1)).as("fault entries").hasSize(7 + 1);
  }

  /** A count of the summary's {@code counts} object. */
  private static long count(String json, String key) {
    Matcher matcher = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(json);
    assertThat(matcher.find()).as("%s in %s", key, json).isTrue();
    return Long.parseLong(matcher.group(1));
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
