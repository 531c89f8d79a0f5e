package dev.ferry.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.common.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadtestMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void exitsWithUsageAndOneLineWhenSubcommandIsMissing() {
    int status = run(Map.of());

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("subcommand");
  }

  @Test
  void exitsWithUsageAndOneLineForMalformedFlag() {
    int status = run(Map.of(), "echo", "--port", "eighty");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).hasLineCount(1).contains("--port").contains("eighty");
  }

  @Test
  void readsOptionsFromFerryVariablesAndValidatesThem() {
    int status = run(Map.of("FERRY_PORT", "70000"), "echo");

    assertThat(status).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .isEqualTo("echo: --port: 70000 (expected: 0..65535, 0 picks a free port)\n");
  }

  @Test
  void documentsEchoOptionsAndTheirVariables() {
    int status = run(Map.of(), "echo", "--help");

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("--port", "FERRY_PORT", "8000", "--host", "FERRY_HOST", "127.0.0.1");
  }

  private int run(Map<String, String> environment, String... args) {
    return Cli.commandLine(new LoadtestMain(), environment)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }
}
