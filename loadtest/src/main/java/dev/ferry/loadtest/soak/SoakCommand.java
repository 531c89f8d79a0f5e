package dev.ferry.loadtest.soak;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry-loadtest soak}: a randomized fault soak of real sidecar processes, ending with the
 * invariant counts; exits 0 when all invariants hold, 1 otherwise (2 for a bad flag). Not part of
 * CI: a short run of it is {@code SoakIT} in the e2e module.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Randomized fault soak: starts an echo upstream in this process, one client sidecar and"
          + " --servers server sidecars as child JVMs (from their jars, on a new service"
          + " soak-<random>), each behind a fault proxy to the broker; sends --rate requests per"
          + " second for --duration, each with its own token and --deadline, and injects a random"
          + " fault every --fault-every. Prints a line per fault and progress every 5 seconds.",
      "At the end it waits for every answer and prints the invariants: exactly one answer per"
          + " request by its deadline (the service's own, or a 5xx with ferry-error), never"
          + " another request's answer, each answered request executed once and no expired one"
          + " (except the documented at-least-once cases, counted apart), nothing pending in the"
          + " client sidecar, an empty request queue, no broker connection or process left over.",
      "Exit status: 0 when every invariant holds, 1 otherwise, 2 for a bad option. Options can"
          + " also be set with the FERRY_* variable named after them (e.g. FERRY_AMQP_URI)."
    })
public final class SoakCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--amqp-uri",
      defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
      paramLabel = "URI",
      description = "The broker (default: ${DEFAULT-VALUE}).")
  private String amqpUri;

  @Option(
      names = "--duration",
      defaultValue = "10m",
      paramLabel = "DURATION",
      description = "How long to send load, e.g. 20s, 10m (default: ${DEFAULT-VALUE}).")
  private Duration duration;

  @Option(
      names = "--fault-every",
      defaultValue = "30s",
      paramLabel = "DURATION",
      description = "Inject one random fault this often, at least 1s (default: ${DEFAULT-VALUE}).")
  private Duration faultEvery;

  @Option(
      names = "--rate",
      defaultValue = "50",
      paramLabel = "N",
      description =
          "Requests per second, sent on schedule without waiting for answers (default:"
              + " ${DEFAULT-VALUE}).")
  private int rate;

  @Option(
      names = "--deadline",
      defaultValue = "5s",
      paramLabel = "DURATION",
      description = "Each request's deadline, sent as ferry-timeout (default: ${DEFAULT-VALUE}).")
  private Duration deadline;

  @Option(
      names = "--servers",
      defaultValue = "2",
      paramLabel = "N",
      description = "Server sidecar processes running at once (default: ${DEFAULT-VALUE}).")
  private int servers;

  @Option(
      names = "--client-jar",
      defaultValue = SoakConfig.CLIENT_JAR,
      paramLabel = "JAR",
      description =
          "The client sidecar's jar (default: ${DEFAULT-VALUE}, from the repository root).")
  private Path clientJar;

  @Option(
      names = "--server-jar",
      defaultValue = SoakConfig.SERVER_JAR,
      paramLabel = "JAR",
      description =
          "The server sidecar's jar (default: ${DEFAULT-VALUE}, from the repository root).")
  private Path serverJar;

  @Option(
      names = "--seed",
      paramLabel = "N",
      description =
          "Seeds the choice of faults, targets and requests; printed at the start (default:"
              + " random).")
  private Long seed;

  @Option(
      names = "--faults",
      split = ",",
      paramLabel = "KIND",
      description =
          "Kinds of fault to choose from, comma-separated (default: all of cut-client,"
              + " cut-server, blackhole-client, blackhole-server, delay-client, delay-server,"
              + " kill-server, term-server).")
  private List<String> faults;

  @Option(
      names = "--queue-type",
      defaultValue = "quorum",
      paramLabel = "TYPE",
      description = "Type of the request queue, quorum or classic (default: ${DEFAULT-VALUE}).")
  private String queueType;

  @Option(
      names = "--out",
      defaultValue = "soak.json",
      paramLabel = "FILE",
      description = "The JSON summary to write (default: ${DEFAULT-VALUE}).")
  private Path out;

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where the sidecar processes log (default: a new temporary directory).")
  private Path logDir;

  @Override
  public Integer call() throws Exception {
    Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
    for (String label : faults == null ? List.of(FaultKind.allLabels().split(",")) : faults) {
      kinds.add(FaultKind.parse(label));
    }
    SoakConfig config =
        new SoakConfig(
            amqpUri,
            duration,
            faultEvery,
            rate,
            deadline,
            servers,
            clientJar,
            serverJar,
            seed == null ? new SecureRandom().nextLong() : seed,
            out,
            logDir,
            queueType,
            kinds);
    return new Soak(config, spec.commandLine().getOut()).run();
  }
}
