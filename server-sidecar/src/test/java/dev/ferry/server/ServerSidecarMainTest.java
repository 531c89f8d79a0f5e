package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.common.Cli;
import dev.ferry.protocol.QueueType;
import dev.ferry.server.resilience.CircuitSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The server sidecar's command line. {@code execute} would start a sidecar when the arguments are
 * valid, so it only runs here with invalid ones; valid ones are parsed and their config inspected.
 */
class ServerSidecarMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--upstream      | https://x",
        "--upstream      | ftp://x",
        "--upstream      | http://x:8000/base?query=1",
        "--upstream      | http:/no-host",
        "--upstream      | ::not a uri",
        "--concurrency   | 0",
        "--concurrency   | 65536",
        "--concurrency   | sixteen",
        "--admin-port    | 65536",
        "--admin-port    | abc",
        "--max-body-size | lots",
        "--max-body-size | 1GiB",
        "--max-body-size | 129MiB",
        "--upstream      | http://user:s3cr3t@x:8000",
        "--upstream      | http://user@x:8000",
        "--drain-timeout | 5 parsecs",
        "--queue-type    | stream",
        "--service       | my service",
        "--amqp-uri      | http://not-amqp",
        "--max-retries   | -1",
        "--max-requests  | -1",
        "--max-requests  | one",
        "--max-retries   | 11",
        "--retry-budget  | 101",
        "--circuit-window | -1",
        "--circuit-minimum-calls | 0",
        "--circuit-minimum-calls | 11",
        "--circuit-failure-rate | 0",
        "--circuit-failure-rate | 101",
        "--circuit-open-duration | 0s",
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
  void rejectsUserInfoInUpstreamWithoutEchoingIt() {
    int status = execute(Map.of(), "--service", "echo", "--upstream", "http://me:s3cr3t@svc:8000");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo(
            "ferry-server-sidecar: --upstream: user info is not supported"
                + " (expected: http://HOST[:PORT][/BASE-PATH])\n");
  }

  @Test
  void acceptsTheLargestBodySizeTheBrokerTakesByDefault() {
    ServerConfig config = parse(Map.of(), "--service", "echo", "--max-body-size", "128MiB");

    assertThat(config.maxBodySize()).isEqualTo(128L * 1024 * 1024);
  }

  @Test
  void namesTheBodySizeLimitAndWhyItIsThere() {
    int status = execute(Map.of(), "--service", "echo", "--max-body-size", "129MiB");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo(
            "ferry-server-sidecar: --max-body-size: 135266304 (expected: 0..134217728 bytes,"
                + " RabbitMQ's default max_message_size)\n");
  }

  @Test
  void exitsWithUsageWhenServiceIsMissing() {
    int status = execute(Map.of(), "--concurrency", "4");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--service");
  }

  @Test
  void exitsWithUsageAndNamesTheOptionOfABadVariable() {
    int status = execute(Map.of("FERRY_CONCURRENCY", "0"), "--service", "echo");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo("ferry-server-sidecar: --concurrency: 0 (expected: 1..65535)\n");
  }

  @Test
  void usesDefaultsWithoutFlagsOrVariables() {
    ServerConfig config = parse(Map.of(), "--service", "echo");

    assertThat(config.service()).isEqualTo("echo");
    assertThat(config.amqpUri()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/");
    assertThat(config.queueType()).isEqualTo(QueueType.QUORUM);
    assertThat(config.upstream()).isEqualTo(URI.create("http://127.0.0.1:8000"));
    assertThat(config.upstreamPort()).isEqualTo(8000);
    assertThat(config.concurrency()).isEqualTo(16);
    assertThat(config.adminHost()).isEqualTo("0.0.0.0");
    assertThat(config.adminPort()).isEqualTo(9091);
    assertThat(config.maxBodySize()).isEqualTo(8L * 1024 * 1024);
    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.maxDeliveries()).isEqualTo(5);
    assertThat(config.maxRequests()).isZero();
    assertThat(config.maxRetries()).isEqualTo(2);
    assertThat(config.retryBudget()).isEqualTo(20);
    assertThat(config.circuitSettings())
        .isEqualTo(new CircuitSettings(10, 5, 50, Duration.ofSeconds(5)));
  }

  @Test
  void readsTheCircuitSettingsFromTheirVariables() {
    ServerConfig config =
        parse(
            Map.of(
                "FERRY_CIRCUIT_WINDOW", "0",
                "FERRY_CIRCUIT_OPEN_DURATION", "1500ms",
                "FERRY_MAX_RETRIES", "0"),
            "--service",
            "echo");

    assertThat(config.circuitSettings().enabled()).isFalse();
    assertThat(config.circuitOpenDuration()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.maxRetries()).isZero();
  }

  @Test
  void readsMaxDeliveriesFromItsVariable() {
    assertThat(parse(Map.of("FERRY_MAX_DELIVERIES", "0"), "--service", "echo").maxDeliveries())
        .isZero();
  }

  @Test
  void readsMaxRequestsFromItsFlagOrVariable() {
    assertThat(parse(Map.of("FERRY_MAX_REQUESTS", "1"), "--service", "echo").maxRequests())
        .isEqualTo(1);
    assertThat(parse(Map.of(), "--service", "echo", "--max-requests", "3").maxRequests())
        .isEqualTo(3);
  }

  @Test
  void namesTheMaxRequestsOptionOfANegativeValue() {
    int status = execute(Map.of("FERRY_MAX_REQUESTS", "-1"), "--service", "echo");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo("ferry-server-sidecar: --max-requests: -1 (expected: >= 0)\n");
  }

  @Test
  void readsOptionFromFerryVariableWhenNoFlagIsGiven() {
    ServerConfig config =
        parse(
            Map.of(
                "FERRY_DRAIN_TIMEOUT",
                "5s",
                "FERRY_UPSTREAM",
                "http://svc:9000/api",
                "FERRY_CONCURRENCY",
                "4"),
            "--service",
            "echo");

    assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.upstream()).isEqualTo(URI.create("http://svc:9000/api"));
    assertThat(config.concurrency()).isEqualTo(4);
  }

  @Test
  void prefersFlagOverFerryVariable() {
    ServerConfig config =
        parse(
            Map.of("FERRY_CONCURRENCY", "4", "FERRY_SERVICE", "other"),
            "--service",
            "echo",
            "--concurrency",
            "8");

    assertThat(config.concurrency()).isEqualTo(8);
    assertThat(config.service()).isEqualTo("echo");
  }

  @Test
  void readsRequiredServiceFromFerryVariable() {
    assertThat(parse(Map.of("FERRY_SERVICE", "echo")).service()).isEqualTo("echo");
  }

  @Test
  void usesPort80ForUpstreamWithoutPort() {
    ServerConfig config = parse(Map.of(), "--service", "echo", "--upstream", "http://svc");

    assertThat(config.upstreamPort()).isEqualTo(80);
  }

  @Test
  void documentsEveryOptionAndTheVariableMappingWithoutTheBrokerPassword() {
    int status =
        execute(Map.of("FERRY_AMQP_URI", "amqp://ferry:s3cr3t-pw@rabbit:5672/prod"), "--help");

    assertThat(status).isZero();
    String help = out.toString();
    CommandLine commandLine = Cli.commandLine(new ServerSidecarMain(), Map.of());
    for (OptionSpec option : commandLine.getCommandSpec().options()) {
      assertThat(help).contains(option.longestName());
    }
    assertThat(help).contains("FERRY_FOO_BAR").doesNotContain("s3cr3t-pw");
    assertThat(err.toString()).isEmpty();
  }

  private int execute(Map<String, String> environment, String... args) {
    return Cli.commandLine(new ServerSidecarMain(), environment)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private static ServerConfig parse(Map<String, String> environment, String... args) {
    CommandLine commandLine = Cli.commandLine(new ServerSidecarMain(), environment);
    commandLine.parseArgs(args);
    return commandLine.<ServerSidecarMain>getCommand().config();
  }
}
