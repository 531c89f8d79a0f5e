package dev.ferry.scaler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.common.Cli;
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
 * The scaler's command line. {@code execute} would start a scaler when the arguments are valid, so
 * it only runs here with invalid ones or {@code --help}; valid ones are parsed and their config
 * inspected.
 */
class ScalerMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--grpc-port        | 65536",
        "--grpc-port        | six",
        "--admin-port       | -1",
        "--poll-interval    | 5ms",
        "--poll-interval    | 2m",
        "--poll-interval    | soon",
        "--amqp-uri         | http://not-amqp",
        "--signing-key-file | /nonexistent/keys",
        "--no-such-flag     | 1",
      })
  void exitsWithUsageAndOneLineNamingTheBadOption(String option, String value) {
    int status = execute(Map.of(), option, value);

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains(option);
  }

  @Test
  void namesTheAcceptedPollIntervals() {
    int status = execute(Map.of("FERRY_POLL_INTERVAL", "0ms"));

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo("ferry-scaler: --poll-interval: 0ms (expected: 10ms..1m)\n");
  }

  @Test
  void usesDefaultsWithoutFlagsOrVariables() {
    ScalerConfig config = parse(Map.of());

    assertThat(config.amqpUri()).isEqualTo("amqp://guest:guest@127.0.0.1:5672/");
    assertThat(config.grpcPort()).isEqualTo(6000);
    assertThat(config.adminHost()).isEqualTo("0.0.0.0");
    assertThat(config.adminPort()).isEqualTo(9092);
    assertThat(config.pollInterval()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.signer().enabled()).isFalse();
    assertThat(config.staleAfter()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void readsFerryVariablesAndPrefersFlags() {
    ScalerConfig config =
        parse(
            Map.of("FERRY_GRPC_PORT", "7000", "FERRY_POLL_INTERVAL", "2s"),
            "--poll-interval",
            "50ms");

    assertThat(config.grpcPort()).isEqualTo(7000);
    assertThat(config.pollInterval()).isEqualTo(Duration.ofMillis(50));
  }

  @Test
  void documentsEveryOptionAndTheVariableMappingWithoutTheBrokerPassword() {
    int status =
        execute(Map.of("FERRY_AMQP_URI", "amqp://ferry:s3cr3t-pw@rabbit:5672/prod"), "--help");

    assertThat(status).isZero();
    String help = out.toString();
    CommandLine commandLine = Cli.commandLine(new ScalerMain(), Map.of());
    for (OptionSpec option : commandLine.getCommandSpec().options()) {
      assertThat(help).contains(option.longestName());
    }
    assertThat(help).contains("FERRY_FOO_BAR").contains("activationValue").doesNotContain("s3cr3t");
    assertThat(err.toString()).isEmpty();
  }

  private int execute(Map<String, String> environment, String... args) {
    return Cli.commandLine(new ScalerMain(), environment)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private static ScalerConfig parse(Map<String, String> environment, String... args) {
    CommandLine commandLine = Cli.commandLine(new ScalerMain(), environment);
    commandLine.parseArgs(args);
    return commandLine.<ScalerMain>getCommand().config();
  }
}
