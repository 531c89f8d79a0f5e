package dev.ferry.scaler;

import dev.ferry.common.BrokerOptions;
import dev.ferry.common.Cli;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The scaler's command line: {@code java -jar ferry-scaler.jar}. */
@Command(
    name = "ferry-scaler",
    mixinStandardHelpOptions = true,
    version = "ferry-scaler 0.1.0",
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "A KEDA external-push scaler for Ferry services: tells KEDA within a poll interval that a"
          + " service at zero got its first request, and reports the requests waiting in"
          + " ferry.req.<service> plus those its server sidecars hold. A ScaledObject's"
          + " external-push trigger names the service in its metadata (service, value,"
          + " activationValue). --queue-type is not used.",
      "Every option can also be set as an environment variable: --foo-bar <-> FERRY_FOO_BAR.",
      ""
    })
public final class ScalerMain implements Callable<Integer> {
  @Mixin BrokerOptions broker;

  @Option(
      names = "--grpc-port",
      paramLabel = "PORT",
      defaultValue = "6000",
      description =
          "Port of the externalscaler.ExternalScaler gRPC service KEDA calls (plaintext; default:"
              + " ${DEFAULT-VALUE}).")
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
      defaultValue = "9092",
      description = "Port of /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--poll-interval",
      paramLabel = "DURATION",
      defaultValue = "200ms",
      description =
          "How often each watched service's queue depth is read: how soon a first request is"
              + " noticed; 10ms to 1m (default: ${DEFAULT-VALUE}).")
  Duration pollInterval;

  public static void main(String[] args) {
    Cli.main(new ScalerMain(), args);
  }

  /**
   * Starts a scaler in this process from command-line arguments (environment variables are not
   * read), as tests and embedders do; blocks until it is connected to the broker and serving. The
   * caller closes it.
   */
  public static FerryScaler start(String... args) throws IOException, InterruptedException {
    return Cli.start(new ScalerMain(), command -> new FerryScaler(command.config()), args);
  }

  @Override
  public Integer call() throws InterruptedException {
    return Cli.run(new FerryScaler(config()));
  }

  ScalerConfig config() {
    return new ScalerConfig(
        broker.amqpUri(), grpcPort, adminHost, adminPort, pollInterval, broker.signer());
  }
}
