package dev.ferry.common;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;

/**
 * Runs a sidecar's picocli command the Ferry way: options default from {@code FERRY_*} variables,
 * durations and sizes parse with {@link Durations} and {@link Sizes}, and a bad value ends the
 * process with status 2 and one line that names the option and what is wrong.
 */
public final class Cli {
  private static final Logger logger = LoggerFactory.getLogger(Cli.class);

  /** Exit status for a bad flag or variable. */
  public static final int USAGE = 2;

  private Cli() {}

  /** Builds the command line for {@code command}, reading defaults from {@code environment}. */
  public static CommandLine commandLine(Object command, Map<String, String> environment) {
    CommandLine commandLine = new CommandLine(command);
    commandLine.setDefaultValueProvider(new EnvironmentDefaults(environment));
    commandLine.registerConverter(Duration.class, Durations::parse);
    commandLine.setParameterExceptionHandler(Cli::oneLine);
    commandLine.setExecutionExceptionHandler(
        (e, line, parseResult) -> {
          if (e instanceof ConfigException) {
            line.getErr().println(line.getCommandName() + ": " + e.getMessage());
            return USAGE;
          }
          throw e;
        });
    return commandLine;
  }

  private static int oneLine(CommandLine.ParameterException e, String[] args) {
    CommandLine line = e.getCommandLine();
    PrintWriter err = line.getErr();
    String message = e.getMessage();
    if (e.getArgSpec() instanceof CommandLine.Model.OptionSpec option
        && !message.contains(option.longestName())) {
      message = option.longestName() + ": " + message;
    }
    err.println(line.getCommandName() + ": " + message + " (see --help)");
    return USAGE;
  }

  /**
   * The whole {@code main} of a sidecar: parses {@code args} (defaults from the environment) and
   * runs the command; exits the JVM only on failure or after help, since a started sidecar runs on
   * its own threads until SIGTERM.
   */
  public static void main(Object command, String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    CommandLine commandLine = commandLine(command, System.getenv());
    int status = commandLine.execute(args);
    if (status != 0 || commandLine.isUsageHelpRequested() || commandLine.isVersionHelpRequested()) {
      System.exit(status);
    }
  }

  /**
   * Starts {@code sidecar} with SIGTERM wired to its orderly stop; returns the exit status: 0 once
   * started, 1 (after one line naming the cause) when it cannot start.
   */
  public static int run(Sidecar sidecar) throws InterruptedException {
    Signals.onTerminate(sidecar::close);
    try {
      sidecar.start();
      return 0;
    } catch (IOException e) {
      logger.error("cannot start: {}", e.getMessage());
      sidecar.close();
      return 1;
    } catch (RuntimeException e) {
      logger.error("cannot start", e);
      sidecar.close();
      return 1;
    }
  }

  /**
   * Starts a sidecar in this process from command-line arguments (the environment is not read), as
   * tests and embedders do; blocks until it is ready. The caller closes it.
   */
  public static <C, S extends Sidecar> S start(C command, Function<C, S> build, String... args)
      throws IOException, InterruptedException {
    commandLine(command, Map.of()).parseArgs(args);
    S sidecar = build.apply(command);
    try {
      sidecar.start();
    } catch (IOException | InterruptedException | RuntimeException e) {
      sidecar.close();
      throw e;
    }
    return sidecar;
  }

  /** Parses an enum option written in lower case ({@code quorum}); names the choices otherwise. */
  public static <E extends Enum<E>> E enumValue(String flag, Class<E> type, String value) {
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(value)) {
        return constant;
      }
    }
    StringBuilder choices = new StringBuilder();
    for (E constant : type.getEnumConstants()) {
      choices
          .append(choices.length() == 0 ? "" : ", ")
          .append(constant.name().toLowerCase(Locale.ROOT));
    }
    throw new ConfigException(flag + ": '" + value + "' (expected: one of " + choices + ")");
  }

  /** Converts a size option ({@code 8MiB}). */
  public static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return Sizes.parse(value);
    }
  }

  /** A configuration value that is well-formed but not acceptable; names the option. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
