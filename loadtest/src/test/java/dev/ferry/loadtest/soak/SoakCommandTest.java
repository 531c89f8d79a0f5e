package dev.ferry.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.common.Cli;
import dev.ferry.loadtest.LoadtestMain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's command line: what it documents and what it refuses, before starting anything. */
class SoakCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  @TempDir Path dir;

  @Test
  void documentsItsOptionsAndDefaults() {
    int status = run("soak", "--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("--amqp-uri", "5672/")
        .contains("--duration", "10m", "--fault-every", "30s", "--rate", "50")
        .contains("--deadline", "5s", "--servers", "2", "--seed", "--out", "soak.json")
        .contains("ferry-client-sidecar.jar", "ferry-server-sidecar.jar")
        .contains("kill-server", "term-server", "Exit status");
  }

  @Test
  void refusesAMissingJarInOneLineNamingIt() throws IOException {
    int status = run("soak", "--client-jar", dir.resolve("nope.jar").toString());

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .hasLineCount(1)
        .contains("--client-jar", "nope.jar", "does not exist", "./mvnw");
  }

  @Test
  void refusesAnUnknownFault() throws IOException {
    int status = runWithJars("--faults", "cut-client,melt-down");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--faults: 'melt-down'", "kill-server");
  }

  @Test
  void refusesAZeroRateAndTooShortAFaultInterval() throws IOException {
    assertThat(runWithJars("--rate", "0")).isEqualTo(Cli.USAGE);
    assertThat(runWithJars("--fault-every", "500ms")).isEqualTo(Cli.USAGE);

    assertThat(err.toString()).contains("--rate: 0", "--fault-every: 500ms");
  }

  private int runWithJars(String... args) throws IOException {
    Path jar = Files.createTempFile(dir, "sidecar", ".jar");
    List<String> all =
        new ArrayList<>(
            List.of("soak", "--client-jar", jar.toString(), "--server-jar", jar.toString()));
    all.addAll(List.of(args));
    return run(all.toArray(String[]::new));
  }

  private int run(String... args) {
    return Cli.commandLine(new LoadtestMain(), Map.of())
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }
}
