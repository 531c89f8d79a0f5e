package dev.ferry.server;

import dev.ferry.common.BrokerOptions;
import dev.ferry.common.Cli;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The server sidecar's command line: {@code java -jar ferry-server-sidecar.jar --service echo}. */
@Command(
    name = "ferry-server-sidecar",
    mixinStandardHelpOptions = true,
    version = "ferry-server-sidecar 0.1.0",
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Runs next to a service: consumes its request queue ferry.req.<service>, calls the service,"
          + " publishes each reply and then acknowledges the request.",
      "Every option can also be set as an environment variable: --foo-bar <-> FERRY_FOO_BAR.",
      ""
    })
public final class ServerSidecarMain implements Callable<Integer> {
  @Mixin BrokerOptions broker;

  @Option(
      names = "--service",
      required = true,
      paramLabel = "NAME",
      description = "Ferry service to serve (queue ferry.req.NAME).")
  String service;

  @Option(
      names = "--upstream",
      paramLabel = "URL",
      description =
          "The real HTTP service, http://HOST:PORT[/BASE-PATH] (default: http://127.0.0.1:8000,"
              + " unless only --upstream-grpc is given).")
  URI upstream;

  @Option(
      names = "--upstream-grpc",
      paramLabel = "HOST:PORT",
      description = "The real gRPC service (plaintext); none by default.")
  String upstreamGrpc;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      defaultValue = "16",
      description =
          "Requests handled at once; also the consumer prefetch (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--reply-cache-entries",
      paramLabel = "N",
      defaultValue = "10000",
      description =
          "Recent replies kept to answer a redelivered request without running the service again;"
              + " 0 turns the cache off (default: ${DEFAULT-VALUE}).")
  int replyCacheEntries;

  @Option(
      names = "--max-deliveries",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "A request a quorum queue has delivered this many times is dead-lettered and answered"
              + " with upstream-invalid instead of run again; 0 turns the limit off (default:"
              + " ${DEFAULT-VALUE}).")
  int maxDeliveries;

  @Option(
      names = "--max-requests",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Take at most this many requests, then stop as on SIGTERM and exit 0 (1: one request per"
              + " process, e.g. a KEDA ScaledJob); requests returned to the queue do not count;"
              + " 0: no limit (default: ${DEFAULT-VALUE}).")
  int maxRequests;

  @Option(
      names = "--admin-host",
      paramLabel = "HOST",
      defaultValue = "0.0.0.0",
      description = "Address of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  String adminHost;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "9091",
      description = "Port of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--max-body-size",
      paramLabel = "SIZE",
      defaultValue = "8MiB",
      converter = Cli.SizeConverter.class,
      description =
          "Largest response body taken from the service, at most 128MiB; larger ones become 502 upstream-invalid (default: ${DEFAULT-VALUE}).")
  long maxBodySize;

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "On SIGTERM, wait this long for in-flight requests (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout;

  @Option(
      names = "--max-retries",
      paramLabel = "N",
      defaultValue = "2",
      description =
          "Times one request may be sent again: idempotent HTTP requests answered 502/503/504"
              + " (after Retry-After) or reset, gRPC calls that never reached the service; 0: never"
              + " (default: ${DEFAULT-VALUE}).")
  int maxRetries;

  @Option(
      names = "--retry-budget",
      paramLabel = "PERCENT",
      defaultValue = "20",
      description =
          "Retries as a percentage of requests, per upstream, plus a burst of 10; 0: none"
              + " (default: ${DEFAULT-VALUE}).")
  int retryBudget;

  @Option(
      names = "--circuit-window",
      paramLabel = "N",
      defaultValue = "10",
      description =
          "Last calls each upstream's circuit breaker judges; 0 turns the breakers off (default:"
              + " ${DEFAULT-VALUE}).")
  int circuitWindow;

  @Option(
      names = "--circuit-minimum-calls",
      paramLabel = "N",
      defaultValue = "5",
      description = "Calls needed before the breaker judges at all (default: ${DEFAULT-VALUE}).")
  int circuitMinimumCalls;

  @Option(
      names = "--circuit-failure-rate",
      paramLabel = "PERCENT",
      defaultValue = "50",
      description =
          "Share of failed calls (unreachable, reset, timed out, 503) that opens the breaker;"
              + " while open no requests are taken and the sidecar is not ready (default:"
              + " ${DEFAULT-VALUE}).")
  int circuitFailureRate;

  @Option(
      names = "--circuit-open-duration",
      paramLabel = "DURATION",
      defaultValue = "5s",
      description =
          "How long an open breaker waits before it probes the service and lets a trial request"
              + " through (default: ${DEFAULT-VALUE}).")
  Duration circuitOpenDuration;

  /** Set once a sidecar with {@code --max-requests} has stopped by itself (or on SIGTERM). */
  private volatile boolean finished;

  public static void main(String[] args) {
    ServerSidecarMain command = new ServerSidecarMain();
    Cli.main(command, args);
    if (command.finished) {
      // As after SIGTERM: exit 0 now rather than wait for threads a library may have left behind.
      System.exit(0);
    }
  }

  /**
   * Starts a sidecar in this process from command-line arguments (environment variables are not
   * read), as tests and embedders do; blocks until it is ready: connected to the broker, and
   * consuming, which waits until the upstream has accepted a connection once. The caller closes it
   * (which also ends the waiting).
   */
  public static ServerSidecar start(String... args) throws IOException, InterruptedException {
    return Cli.start(new ServerSidecarMain(), command -> new ServerSidecar(command.config()), args);
  }

  /**
   * Starts the sidecar; returns 0 once it runs, or, with {@code --max-requests}, once it has
   * stopped (1 when that stop failed).
   */
  @Override
  public Integer call() throws InterruptedException {
    ServerSidecar sidecar = new ServerSidecar(config());
    int status = Cli.run(sidecar);
    if (status != 0 || maxRequests == 0) {
      return status;
    }
    try {
      sidecar.stopped().get();
    } catch (ExecutionException e) {
      return 1; // Logged by the sidecar.
    }
    finished = true;
    return 0;
  }

  ServerConfig config() {
    return new ServerConfig(
        broker.amqpUri(),
        service,
        broker.queueType(),
        upstream == null && upstreamGrpc == null ? ServerConfig.DEFAULT_UPSTREAM : upstream,
        upstreamGrpc,
        concurrency,
        replyCacheEntries,
        maxDeliveries,
        maxRequests,
        adminHost,
        adminPort,
        maxBodySize,
        drainTimeout,
        maxRetries,
        retryBudget,
        circuitWindow,
        circuitMinimumCalls,
        circuitFailureRate,
        circuitOpenDuration,
        broker.signer());
  }
}
