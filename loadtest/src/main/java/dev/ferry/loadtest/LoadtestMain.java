package dev.ferry.loadtest;

import dev.ferry.common.Cli;
import dev.ferry.loadtest.bench.BenchCommand;
import dev.ferry.loadtest.echo.EchoCommand;
import dev.ferry.loadtest.load.GrpcLoadCommand;
import dev.ferry.loadtest.load.HttpLoadCommand;
import dev.ferry.loadtest.rawrpc.RawRpcCommand;
import dev.ferry.loadtest.scale.ScaleCommand;
import dev.ferry.loadtest.soak.SoakCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/**
 * The {@code ferry-loadtest} command. It has no action of its own: run without a subcommand it
 * exits 2 naming the missing subcommand. Every option of every subcommand also reads its default
 * from a {@code FERRY_*} environment variable (see {@link dev.ferry.common.EnvironmentDefaults}).
 */
@Command(
    name = "ferry-loadtest",
    mixinStandardHelpOptions = true,
    versionProvider = LoadtestMain.Version.class,
    description = "Tools around Ferry: upstreams, load generators and benchmarks.",
    subcommands = {
      EchoCommand.class,
      HttpLoadCommand.class,
      GrpcLoadCommand.class,
      BenchCommand.class,
      RawRpcCommand.class,
      SoakCommand.class,
      ScaleCommand.class
    })
public final class LoadtestMain {
  /** The SLF4J Simple property that sets the default log level; honoured when already set. */
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  public static void main(String[] args) {
    // These tools talk on stdout (e.g. "echo listening on ..."); keep logs to warnings unless
    // asked otherwise with -Dorg.slf4j.simpleLogger.defaultLogLevel=info. Set before any logger
    // exists, so no logger is created in this class.
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "warn");
    }
    System.exit(Cli.commandLine(new LoadtestMain(), System.getenv()).execute(args));
  }

  /** Reads the version from the jar manifest, written there by the build. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = LoadtestMain.class.getPackage().getImplementationVersion();
      return new String[] {"ferry-loadtest " + (version == null ? "(development build)" : version)};
    }
  }
}
