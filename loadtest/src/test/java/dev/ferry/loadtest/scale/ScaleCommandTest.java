package dev.ferry.loadtest.scale;

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

/** The command line: what it documents and what it refuses, before starting anything. */
class ScaleCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  @TempDir Path dir;

  @Test
  void documentsItsOptionsAndDefaults() {
    int status = run("scale", "--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("--amqp-uri", "--scaled-object", "deploy/keda/echo-scaledobject.yaml")
        .contains("--service", "--time-scale", "--polling-interval", "--cooldown")
        .contains("--stabilization", "--pattern", "30s@50/s")
        .contains("--delay", "500ms", "--deadline", "30s", "--out-dir", "scale-timeline.svg")
        .contains("ferry-client-sidecar.jar", "ferry-server-sidecar.jar", "Exit status");
  }

  @Test
  void refusesAMissingManifestInOneLineNamingIt() {
    int status = run("scale", "--scaled-object", dir.resolve("nope.yaml").toString());

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .hasLineCount(1)
        .contains("--scaled-object: cannot read", "nope.yaml");
  }

  @Test
  void refusesAMalformedPattern() throws IOException {
    int status = runWithManifestAndJars("--pattern", "idle:10s,burst");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--pattern: 'burst'");
  }

  @Test
  void refusesAMissingJar() throws IOException {
    Path jar = Files.writeString(dir.resolve("client.jar"), "not really");
    int status =
        run(
            "scale",
            "--scaled-object",
            ScaledObjectTest.fixtureFile(dir).toString(),
            "--client-jar",
            jar.toString(),
            "--server-jar",
            dir.resolve("missing-server.jar").toString());

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--server-jar", "missing-server.jar");
  }

  @Test
  void refusesABadServiceName() throws IOException {
    int status = runWithManifestAndJars("--service", "-bad");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--service: '-bad'");
  }

  private int runWithManifestAndJars(String... extra) throws IOException {
    Path jar = Files.writeString(dir.resolve("sidecar.jar"), "not really");
    List<String> args =
        new ArrayList<>(
            List.of(
                "scale",
                "--scaled-object",
                ScaledObjectTest.fixtureFile(dir).toString(),
                "--client-jar",
                jar.toString(),
                "--server-jar",
                jar.toString()));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  private int run(String... args) {
    return Cli.commandLine(new LoadtestMain(), Map.of())
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }
}
