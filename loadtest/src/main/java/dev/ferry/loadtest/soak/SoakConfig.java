package dev.ferry.loadtest.soak;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What one soak run does. Built by {@link SoakCommand} from its flags; validated here.
 *
 * @param amqpUri {@code --amqp-uri}, default {@code amqp://guest:guest@127.0.0.1:5672/}: the
 *     broker; every sidecar reaches it through a fault proxy of its own.
 * @param duration {@code --duration}, default 10m: how long load is sent (more than 0).
 * @param faultEvery {@code --fault-every}, default 30s: one fault this often, the first after this
 *     long (at least 1s).
 * @param rate {@code --rate}, default 50: requests per second, sent on schedule whatever the
 *     answers (open loop), 1..5000.
 * @param deadline {@code --deadline}, default 5s: each request's {@code ferry-timeout}, 100ms..10m.
 * @param servers {@code --servers}, default 2: server sidecar processes running at once, 1..16.
 * @param clientJar {@code --client-jar}: the shaded client sidecar jar; must exist.
 * @param serverJar {@code --server-jar}: the shaded server sidecar jar; must exist.
 * @param seed {@code --seed}: seeds the choice of faults, their targets and the requests.
 * @param out {@code --out}, default {@code soak.json}: where the JSON summary is written.
 * @param logDir {@code --log-dir}: where each sidecar process logs; null for a new temporary
 *     directory.
 * @param queueType {@code --queue-type}, default {@code quorum}: type of the request queue.
 * @param faults {@code --faults}, default all: the kinds of fault to choose from (not empty).
 */
record SoakConfig(
    String amqpUri,
    Duration duration,
    Duration faultEvery,
    int rate,
    Duration deadline,
    int servers,
    Path clientJar,
    Path serverJar,
    long seed,
    Path out,
    Path logDir,
    String queueType,
    Set<FaultKind> faults) {
  static final String CLIENT_JAR = "client-sidecar/target/ferry-client-sidecar.jar";
  static final String SERVER_JAR = "server-sidecar/target/ferry-server-sidecar.jar";

  SoakConfig {
    URI uri;
    try {
      uri = URI.create(amqpUri);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--amqp-uri: not a URI (expected: amqp://USER:PASS@HOST:PORT/)");
    }
    if (!"amqp".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigException(
          "--amqp-uri: scheme or host missing (expected: amqp://USER:PASS@HOST:PORT/)");
    }
    positive("--duration", duration, Duration.ZERO);
    positive("--fault-every", faultEvery, Duration.ofMillis(999));
    if (rate < 1 || rate > 5000) {
      throw new ConfigException("--rate: " + rate + " (expected: 1..5000 requests per second)");
    }
    if (deadline.compareTo(Duration.ofMillis(100)) < 0
        || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new ConfigException("--deadline: " + deadline.toMillis() + "ms (expected: 100ms..10m)");
    }
    if (servers < 1 || servers > 16) {
      throw new ConfigException("--servers: " + servers + " (expected: 1..16)");
    }
    jar("--client-jar", clientJar, CLIENT_JAR);
    jar("--server-jar", serverJar, SERVER_JAR);
    if (!List.of("quorum", "classic").contains(queueType)) {
      throw new ConfigException("--queue-type: '" + queueType + "' (expected: quorum or classic)");
    }
    if (faults.isEmpty()) {
      throw new ConfigException("--faults: empty (expected: " + FaultKind.allLabels() + ")");
    }
    faults = Set.copyOf(faults);
  }

  private static void positive(String option, Duration value, Duration above) {
    if (value.compareTo(above) <= 0) {
      throw new ConfigException(
          option + ": " + value.toMillis() + "ms (expected: more than " + above.toMillis() + "ms)");
    }
  }

  private static void jar(String option, Path jar, String defaultPath) {
    if (!Files.isRegularFile(jar)) {
      throw new ConfigException(
          option
              + ": "
              + jar.toAbsolutePath()
              + " does not exist (expected: the shaded sidecar jar; the default "
              + defaultPath
              + " is relative to the repository root, built by ./mvnw -q -DskipTests package)");
    }
  }

  /** The broker URI without its password, for printing. */
  String redactedAmqpUri() {
    return AmqpConnector.redact(amqpUri);
  }
}
