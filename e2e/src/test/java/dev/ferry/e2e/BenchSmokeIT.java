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
import java.util.ArrayList;
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
 * The bench ({@code ferry-loadtest bench}), short: every configuration (echo directly, raw RPC,
 * HTTP and gRPC through a sidecar pair started from their jars) at 1 and 8 callers for 2 s each.
 * Checks that every cell ran without errors and that the process measurements are there, not the
 * numbers: those depend on the machine.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BenchSmokeIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  @TempDir Path dir;

  @Test
  void measuresEveryConfigurationAtBothLoadsWithoutErrors() throws Exception {
    Path result = dir.resolve("bench.json");
    StringWriter out = new StringWriter();

    int status =
        Cli.commandLine(new LoadtestMain(), Map.of())
            .setOut(new PrintWriter(out, true))
            .execute(
                "bench",
                "--amqp-uri",
                broker.uri(),
                "--duration",
                "2s",
                "--warmup",
                "1s",
                "--high-concurrency",
                "8",
                "--client-jar",
                jar("client-sidecar", "ferry-client-sidecar.jar").toString(),
                "--server-jar",
                jar("server-sidecar", "ferry-server-sidecar.jar").toString(),
                "--out",
                result.toString(),
                "--log-dir",
                dir.resolve("logs").toString());

    System.out.println(out); // The table, for the test report.
    assertThat(status).as("exit status; the bench said:%n%s", out).isZero();
    String json = Files.readString(result, StandardCharsets.UTF_8);
    List<String> cells = cells(json);
    assertThat(cells).hasSize(8);
    List<String> seen = new ArrayList<>();
    for (String cell : cells) {
      seen.add(string(cell, "configuration") + "/" + string(cell, "load"));
      assertThat(number(cell, "ok")).as("ok in %s", cell).isPositive();
      assertThat(number(cell, "errors")).as("errors in %s", cell).isZero();
      assertThat(cell).contains("\"cpuMicrosPerRequest\"", "\"client\": ", "\"server\": ");
    }
    assertThat(seen)
        .containsExactlyInAnyOrder(
            "a/low", "b/low", "c/low", "d/low", "a/high", "b/high", "c/high", "d/high");
    for (String role : List.of("client", "server")) {
      Matcher sidecar =
          Pattern.compile(
                  "\""
                      + role
                      + "\": \\{\\s*\"startToReadyMillis\": ([0-9.]+),\\s*\"peakRssMib\": ([0-9.]+)")
              .matcher(json);
      assertThat(sidecar.find()).as("%s sidecar facts in %s", role, json).isTrue();
      assertThat(Double.parseDouble(sidecar.group(2))).as("%s peak RSS", role).isPositive();
    }
    assertThat(out.toString()).contains("| target |").containsPattern("\\| (PASS|MISS) \\|");
  }

  /** The objects of the {@code cells} array, as text (the JSON is one member per line). */
  private static List<String> cells(String json) {
    int start = json.indexOf("\"cells\": [");
    int end = json.indexOf("\n  ],", start);
    assertThat(start).as("cells in %s", json).isNotNegative();
    List<String> cells = new ArrayList<>();
    for (String part : json.substring(start, end).split("\n    \\{")) {
      if (part.contains("\"configuration\"")) {
        cells.add(part);
      }
    }
    return cells;
  }

  private static String string(String object, String key) {
    Matcher matcher = Pattern.compile("\"" + key + "\": \"([^\"]*)\"").matcher(object);
    assertThat(matcher.find()).as("%s in %s", key, object).isTrue();
    return matcher.group(1);
  }

  private static long number(String object, String key) {
    Matcher matcher = Pattern.compile("\"" + key + "\": (-?\\d+)").matcher(object);
    assertThat(matcher.find()).as("%s in %s", key, object).isTrue();
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
