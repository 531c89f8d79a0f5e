package dev.ferry.loadtest.load;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.loadtest.soak.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options {@code http} and {@code grpc} share, and the run they both do. */
public final class LoadOptions {
  @Option(
      names = "--rate",
      defaultValue = "0",
      paramLabel = "PER_SECOND",
      description =
          "Open loop: requests per second at fixed times, latency from the intended time; 0 for"
              + " the closed loop (FERRY_RATE, default: ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--concurrency",
      defaultValue = "1",
      description =
          "Closed loop: concurrent callers (FERRY_CONCURRENCY, default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--connections",
      defaultValue = "0",
      description =
          "Connections to the target; 0 means one per caller (closed loop) or 64 (open loop)"
              + " (FERRY_CONNECTIONS, default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--body-size",
      defaultValue = "512",
      description = "Request body in bytes (FERRY_BODY_SIZE, default: ${DEFAULT-VALUE}).")
  int bodySize;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      description = "Measured time (FERRY_DURATION, default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "3s",
      description = "Load before the measured time (FERRY_WARMUP, default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--timeout",
      defaultValue = "30s",
      description = "Give up on one request after (FERRY_TIMEOUT, default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Also write the result as JSON here (FERRY_OUT).")
  Path out;

  @Option(
      names = "--html",
      paramLabel = "FILE",
      description = "Also write an HTML report with charts here (FERRY_HTML).")
  Path html;

  LoadSpec spec() {
    try {
      return new LoadSpec(rate, concurrency, bodySize, warmup, duration, timeout);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** Connections to open: as asked, else one per caller, else 64 for the open loop. */
  int connections() {
    if (connections > 0) {
      return connections;
    }
    return rate > 0 ? 64 : Math.max(1, concurrency);
  }

  /** Runs the load, prints progress and the summary, writes the files; the exit status. */
  int run(CommandSpec command, String label, Transport transport) throws Exception {
    PrintWriter stdout = command.commandLine().getOut();
    PrintWriter stderr = command.commandLine().getErr();
    LoadResult result;
    try (transport) {
      result = LoadRun.run(label, transport, spec(), stderr, LoadRun.Window.NONE);
    }
    stdout.print(result.summary());
    stdout.flush();
    write(out, Json.write(result.toMap()));
    write(html, HtmlReport.render("ferry-loadtest " + label, List.of(result)));
    return 0;
  }

  private static void write(Path file, String text) throws IOException {
    if (file != null) {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
  }
}
