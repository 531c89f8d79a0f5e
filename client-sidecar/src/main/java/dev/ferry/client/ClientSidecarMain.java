package dev.ferry.client;

import dev.ferry.client.ingress.Routes;
import dev.ferry.common.BrokerOptions;
import dev.ferry.common.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The client sidecar's command line: {@code java -jar ferry-client-sidecar.jar --service echo}. */
@Command(
    name = "ferry-client-sidecar",
    mixinStandardHelpOptions = true,
    version = "ferry-client-sidecar 0.1.0",
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Pretends to be a service for its callers: each HTTP request becomes an AMQP message on the"
          + " service's queue ferry.req.<service>, and the reply becomes the HTTP response.",
      "Every option can also be set as an environment variable: --foo-bar <-> FERRY_FOO_BAR.",
      ""
    })
public final class ClientSidecarMain implements Callable<Integer> {
  @Mixin BrokerOptions broker;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description =
          "Ferry service requests go to (queue ferry.req.NAME) unless a route names another;"
              + " required without --route.")
  String service;

  @Option(
      names = "--route",
      paramLabel = "ROUTE",
      split = ",",
      description =
          "Repeatable: grpc:pkg.Service=NAME, host:HOST=NAME or path:/PREFIX=NAME; the variable"
              + " FERRY_ROUTE takes a comma-separated list.")
  List<String> route = new ArrayList<>();

  @Option(
      names = "--routes-file",
      paramLabel = "FILE",
      description = "More routes, one per line (# starts a comment).")
  Path routesFile;

  @Option(
      names = "--http-host",
      paramLabel = "HOST",
      defaultValue = "0.0.0.0",
      description = "Address for HTTP callers (default: ${DEFAULT-VALUE}).")
  String httpHost;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "Port for HTTP callers (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--grpc-port",
      paramLabel = "PORT",
      defaultValue = "8081",
      description = "Port for gRPC callers, any service and method (default: ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(
      names = "--admin-host",
      paramLabel = "HOST",
      defaultValue = "0.0.0.0",
      description = "Address of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  String adminHost;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "9090",
      description = "Port of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "Deadline of a request without a ferry-timeout header; long enough for a cold start (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--max-body-size",
      paramLabel = "SIZE",
      defaultValue = "8MiB",
      converter = Cli.SizeConverter.class,
      description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
  long maxBodySize;

  @Option(
      names = "--max-header-size",
      paramLabel = "SIZE",
      defaultValue = "32KiB",
      converter = Cli.SizeConverter.class,
      description =
          "Largest request header section; larger ones get 431 (default: ${DEFAULT-VALUE}).")
  long maxHeaderSize;

  @Option(
      names = "--max-pending",
      paramLabel = "N",
      defaultValue = "10000",
      description =
          "Requests waiting for replies at once; beyond it 503 overloaded (default: ${DEFAULT-VALUE}).")
  int maxPending;

  @Option(
      names = "--max-pending-bytes",
      paramLabel = "SIZE",
      defaultValue = "256MiB",
      converter = Cli.SizeConverter.class,
      description =
          "Request bytes held by requests waiting for replies; beyond it 503 overloaded (default:"
              + " ${DEFAULT-VALUE}).")
  long maxPendingBytes;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      description = "Close caller connections idle this long (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(
      names = "--read-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "A request must arrive whole (head and body) this soon after its first byte; otherwise"
              + " 408 and the connection closes (default: ${DEFAULT-VALUE}).")
  Duration readTimeout;

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description = "On SIGTERM, wait this long for pending requests (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout;

  public static void main(String[] args) {
    Cli.main(new ClientSidecarMain(), args);
  }

  /**
   * Starts a sidecar in this process from command-line arguments (environment variables are not
   * read), as tests and embedders do; blocks until it is ready. The caller closes it.
   */
  public static ClientSidecar start(String... args) throws IOException, InterruptedException {
    return Cli.start(new ClientSidecarMain(), command -> new ClientSidecar(command.config()), args);
  }

  @Override
  public Integer call() throws InterruptedException {
    return Cli.run(new ClientSidecar(config()));
  }

  private Routes routes() {
    List<String> entries = new ArrayList<>(route);
    if (routesFile != null) {
      try {
        for (String line : Files.readAllLines(routesFile)) {
          String entry = line.replaceFirst("#.*", "").trim();
          if (!entry.isEmpty()) {
            entries.add(entry);
          }
        }
      } catch (IOException e) {
        throw new Cli.ConfigException(
            "--routes-file: cannot read " + routesFile + ": " + e.getMessage());
      }
    }
    try {
      return Routes.parse(service, entries);
    } catch (IllegalArgumentException e) {
      throw new Cli.ConfigException("--route: " + e.getMessage());
    }
  }

  ClientConfig config() {
    return new ClientConfig(
        broker.amqpUri(),
        service,
        routes(),
        broker.queueType(),
        httpHost,
        httpPort,
        grpcPort,
        adminHost,
        adminPort,
        timeout,
        maxBodySize,
        maxHeaderSize,
        maxPending,
        maxPendingBytes,
        idleTimeout,
        readTimeout,
        drainTimeout,
        broker.signer());
  }
}
