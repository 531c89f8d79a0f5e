package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class EnvironmentDefaultsTest {
  /** A tiny command with the kinds of options the sidecars have. */
  @Command(name = "tiny")
  static final class Tiny implements Callable<Integer> {
    @Option(names = "--foo-bar", defaultValue = "annotated")
    String fooBar;

    @Option(
        names = {"-c", "--concurrency"},
        defaultValue = "4")
    int concurrency;

    @Option(names = "--timeout", defaultValue = "30s")
    Duration timeout;

    @Option(names = "--max-body-size", defaultValue = "8MiB", converter = Cli.SizeConverter.class)
    long maxBodySize;

    @Option(names = "-v")
    boolean verbose;

    @Override
    public Integer call() {
      return 0;
    }
  }

  private static Tiny parse(Map<String, String> environment, String... args) {
    Tiny tiny = new Tiny();
    Cli.commandLine(tiny, environment).parseArgs(args);
    return tiny;
  }

  @Test
  void namesTheVariableAfterTheLongOption() {
    assertThat(EnvironmentDefaults.variableFor("--foo-bar")).isEqualTo("FERRY_FOO_BAR");
    assertThat(EnvironmentDefaults.variableFor("--max-body-size")).isEqualTo("FERRY_MAX_BODY_SIZE");
  }

  @Test
  void backsAnOptionWithItsVariable() {
    Tiny tiny = parse(Map.of("FERRY_FOO_BAR", "from-env", "FERRY_CONCURRENCY", "16"));
    assertThat(tiny.fooBar).isEqualTo("from-env");
    assertThat(tiny.concurrency).isEqualTo(16);
  }

  @Test
  void letsAFlagWinOverTheVariable() {
    Tiny tiny =
        parse(
            Map.of("FERRY_FOO_BAR", "from-env", "FERRY_CONCURRENCY", "16"),
            "--foo-bar=flag",
            "-c",
            "2");
    assertThat(tiny.fooBar).isEqualTo("flag");
    assertThat(tiny.concurrency).isEqualTo(2);
  }

  @Test
  void fallsBackToTheAnnotatedDefault() {
    Tiny tiny = parse(Map.of("FERRY_UNRELATED", "x", "foo-bar", "x", "FOO_BAR", "x"));
    assertThat(tiny.fooBar).isEqualTo("annotated");
    assertThat(tiny.concurrency).isEqualTo(4);
    assertThat(tiny.timeout).isEqualTo(Duration.ofSeconds(30));
    assertThat(tiny.maxBodySize).isEqualTo(8L * 1024 * 1024);
  }

  @Test
  void convertsVariablesLikeFlags() {
    Tiny tiny = parse(Map.of("FERRY_TIMEOUT", "1500ms", "FERRY_MAX_BODY_SIZE", "64KiB"));
    assertThat(tiny.timeout).isEqualTo(Duration.ofMillis(1500));
    assertThat(tiny.maxBodySize).isEqualTo(65_536);
  }

  @Test
  void backsNoOptionThatHasOnlyAShortName() {
    Tiny tiny = parse(Map.of("FERRY_V", "true", "FERRY__V", "true"));
    assertThat(tiny.verbose).isFalse();
  }

  @Test
  void endsWithUsageStatusAndOneLineNamingTheOptionForABadVariable() {
    StringWriter err = new StringWriter();
    CommandLine line = Cli.commandLine(new Tiny(), Map.of("FERRY_TIMEOUT", "soon"));
    line.setErr(new PrintWriter(err, true));
    assertThat(line.execute()).isEqualTo(Cli.USAGE);
    assertThat(err.toString())
        .contains("--timeout")
        .contains("'soon' is not a duration")
        .endsWith("(see --help)" + System.lineSeparator())
        .hasLineCount(1);
  }
}
