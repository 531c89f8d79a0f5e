package dev.ferry.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.common.Cli;
import dev.ferry.protocol.QueueType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The client sidecar's command line. {@code execute} would start a sidecar when the arguments are
 * valid, so it only runs here with invalid ones; valid ones are parsed and their config inspected.
 */
class ClientSidecarMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--http-port     | abc",
        "--http-port     | 70000",
        "--grpc-port     | -1",
        "--admin-port    | 65536",
        "--timeout       | 5 parsecs",
        "--timeout       | 0s",
        "--idle-timeout  | 0ms",
        "--read-timeout  | 0s",
        "--drain-timeout | soon",
        "--max-body-size | lots",
        "--max-body-size | 1GiB",
        "--max-header-size | 512",
        "--max-pending   | 0",
        "--max-pending   | many",
        "--queue-type    | stream",
        "--service       | my service",
        "--service       | .hidden",
      })
  void exitsWithUsageAndOneLineNamingTheBadOption(String option, String value) {
    String[] args =
        option.equals("--service")
            ? new String[] {option, value}
            : new String[] {"--service", "echo", option, value};

    int status = execute(Map.of(), args);

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains(option);
  }

  @Test
  void exitsWithUsageWhenServiceIsMissing() {
    int status = execute(Map.of(), "--http-port", "8080");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--service");
  }

  @Test
  void exitsWithUsageAndNamesTheOptionOfABadVariable() {
    int status = execute(Map.of("FERRY_HTTP_PORT", "abc"), "--service", "echo");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--http-port");
  }

  @Test
  void exitsWithUsageForUnknownOption() {
    int status = execute(Map.of(), "--service", "echo", "--colour", "blue");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--colour");
  }

  @Test
  void rejectsNonAmqpUriWhenBuildingTheConfig() {
    assertThatThrownBy(() -> parse(Map.of(), "--service", "echo", "--amqp-uri", "http://not-amqp"))
        .isInstanceOf(Cli.ConfigException.class)
        .hasMessageStartingWith("--amqp-uri: ");
  }

  @Test
  void readsTheBrokerUriFromAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path secret = dir.resolve("uri");
    java.nio.file.Files.writeString(secret, "amqp://app:s3cret@rabbit:5672/prod\n");

    ClientConfig config =
        parse(Map.of("FERRY_AMQP_URI_FILE", secret.toString()), "--service", "echo");

    assertThat(config.amqpUri()).isEqualTo("amqp://app:s3cret@rabbit:5672/prod");
    assertThat(config.describe()).doesNotContain("s3cret");
  }

  @Test
  void exitsWithUsageWhenTheBrokerUriFileCannotBeRead() {
    int status =
        execute(Map.of(), "--service", "echo", "--amqp-uri-file", "/nonexistent/ferry-uri");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--amqp-uri-file");
  }

  @Test
  void usesDefaultsWithoutFlagsOrVariables() {
    ClientConfig config = parse(Map.of(), "--service", "echo");

    assertThat(config.service()).isEqualTo("echo");
    assertThat(config.amqpUri()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/");
    assertThat(config.queueType()).isEqualTo(QueueType.QUORUM);
    assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.grpcPort()).isEqualTo(8081);
    assertThat(config.adminPort()).isEqualTo(9090);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.maxBodySize()).isEqualTo(8L * 1024 * 1024);
    assertThat(config.maxHeaderSize()).isEqualTo(32L * 1024);
    assertThat(config.maxPending()).isEqualTo(10_000);
    assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.readTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void readsOptionFromFerryVariableWhenNoFlagIsGiven() {
    ClientConfig config =
        parse(Map.of("FERRY_TIMEOUT", "5s", "FERRY_QUEUE_TYPE", "classic"), "--service", "echo");

    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.queueType()).isEqualTo(QueueType.CLASSIC);
  }

  @Test
  void prefersFlagOverFerryVariable() {
    ClientConfig config =
        parse(Map.of("FERRY_TIMEOUT", "5s"), "--service", "echo", "--timeout", "1500ms");

    assertThat(config.timeout()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void readsRequiredServiceFromFerryVariable() {
    ClientConfig config = parse(Map.of("FERRY_SERVICE", "echo"));

    assertThat(config.service()).isEqualTo("echo");
  }

  @Test
  void parsesSizesAndDurationsInTheirUnits() {
    ClientConfig config =
        parse(
            Map.of(),
            "--service",
            "echo",
            "--max-body-size",
            "64KiB",
            "--max-header-size",
            "2KiB",
            "--idle-timeout",
            "2m",
            "--read-timeout",
            "10s",
            "--drain-timeout",
            "0s");

    assertThat(config.maxBodySize()).isEqualTo(64 * 1024);
    assertThat(config.maxHeaderSize()).isEqualTo(2 * 1024);
    assertThat(config.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.readTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.drainTimeout()).isZero();
  }

  @Test
  void documentsEveryOptionAndTheVariableMappingWithoutTheBrokerPassword() {
    int status =
        execute(Map.of("FERRY_AMQP_URI", "amqp://ferry:s3cr3t-pw@rabbit:5672/prod"), "--help");

    assertThat(status).isZero();
    String help = out.toString();
    CommandLine commandLine = Cli.commandLine(new ClientSidecarMain(), Map.of());
    for (OptionSpec option : commandLine.getCommandSpec().options()) {
      assertThat(help).contains(option.longestName());
    }
    assertThat(help).contains("FERRY_FOO_BAR").doesNotContain("s3cr3t-pw");
    assertThat(err.toString()).isEmpty();
  }

  private int execute(Map<String, String> environment, String... args) {
    return Cli.commandLine(new ClientSidecarMain(), environment)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private static ClientConfig parse(Map<String, String> environment, String... args) {
    CommandLine commandLine = Cli.commandLine(new ClientSidecarMain(), environment);
    commandLine.parseArgs(args);
    return commandLine.<ClientSidecarMain>getCommand().config();
  }
}
