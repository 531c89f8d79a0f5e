package dev.ferry.loadtest.scale;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.protocol.Topology;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one scale simulation does. Built by {@link ScaleCommand} from its flags and the manifest;
 * validated here.
 *
 * @param amqpUri {@code --amqp-uri}: the broker the sidecars use and whose queue is watched
 * @param scaledObjectFile {@code --scaled-object}: where {@code scaledObject} was read from
 * @param scaledObject the manifest's numbers, as written
 * @param rules what the autoscaler follows: the manifest's numbers, compressed by {@code
 *     --time-scale} or replaced by {@code --polling-interval}, {@code --cooldown}, {@code
 *     --stabilization}
 * @param service {@code --service}: the Ferry service, queue {@code ferry.req.<service>} (default:
 *     from the trigger's {@code queueName})
 * @param pattern {@code --pattern}: the load over time
 * @param delay {@code --delay}: how long the echo takes per request, so that work queues up
 * @param deadline {@code --deadline}: each request's {@code ferry-timeout}, long enough for a cold
 *     start (100ms..10m)
 * @param concurrency requests one server sidecar takes at once: the trigger's {@code value}, as a
 *     pod would be configured to carry it
 * @param clientJar {@code --client-jar}: the shaded client sidecar jar; must exist
 * @param serverJar {@code --server-jar}: the shaded server sidecar jar; must exist
 * @param queueType {@code --queue-type}: the request queue's type if it has to be declared
 * @param outDir {@code --out-dir}: where the timeline and the chart are written
 * @param logDir {@code --log-dir}: where each sidecar process logs; null for a new temporary
 *     directory
 * @param settleTimeout {@code --settle-timeout}: after the pattern, how long to wait at most for
 *     every answer and zero replicas
 */
record ScaleConfig(
    String amqpUri,
    Path scaledObjectFile,
    ScaledObject scaledObject,
    ScalingRules rules,
    String service,
    LoadPattern pattern,
    Duration delay,
    Duration deadline,
    int concurrency,
    Path clientJar,
    Path serverJar,
    String queueType,
    Path outDir,
    Path logDir,
    Duration settleTimeout) {
  static final String CLIENT_JAR = "client-sidecar/target/ferry-client-sidecar.jar";
  static final String SERVER_JAR = "server-sidecar/target/ferry-server-sidecar.jar";
  static final String SCALED_OBJECT = "deploy/keda/echo-scaledobject.yaml";

  ScaleConfig {
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
    try {
      Topology.requestQueue(service);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--" + e.getMessage()); // "service: '...' (expected: ...)"
    }
    if (delay.isNegative() || delay.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new ConfigException("--delay: " + human(delay) + " (expected: 0..10m)");
    }
    if (deadline.compareTo(Duration.ofMillis(100)) < 0
        || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new ConfigException("--deadline: " + human(deadline) + " (expected: 100ms..10m)");
    }
    jar("--client-jar", clientJar, CLIENT_JAR);
    jar("--server-jar", serverJar, SERVER_JAR);
    if (!List.of("quorum", "classic").contains(queueType)) {
      throw new ConfigException("--queue-type: '" + queueType + "' (expected: quorum or classic)");
    }
  }

  /**
   * The service a trigger's {@code queueName} names: {@code ferry.req.echo} is {@code echo};
   * refuses a queue that is not a Ferry request queue.
   */
  static String serviceOf(String queueName) {
    if (!queueName.startsWith(Topology.REQUEST_PREFIX)
        || queueName.length() == Topology.REQUEST_PREFIX.length()) {
      throw new ConfigException(
          "--service: the trigger's queueName '"
              + queueName
              + "' is not a Ferry request queue (expected: ferry.req.<service>, or give --service)");
    }
    return queueName.substring(Topology.REQUEST_PREFIX.length());
  }

  /** The watched queue, {@code ferry.req.<service>}. */
  String queue() {
    return Topology.requestQueue(service);
  }

  /** The broker URI without its password, for printing. */
  String redactedAmqpUri() {
    return AmqpConnector.redact(amqpUri);
  }

  /** Whether the metric counts unacknowledged messages, as KEDA's would (see the trigger). */
  boolean countsUnacknowledged() {
    return scaledObject.trigger().countsUnacknowledged();
  }

  /** {@code 10m}, {@code 30s} or {@code 1500ms}, as the flags take them. */
  static String human(Duration duration) {
    long millis = duration.toMillis();
    if (millis != 0 && millis % 60_000 == 0) {
      return millis / 60_000 + "m";
    }
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
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
}
