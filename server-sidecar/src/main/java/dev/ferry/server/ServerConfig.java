package dev.ferry.server;

import static java.util.Objects.requireNonNull;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.ConfigChecks;
import dev.ferry.protocol.QueueType;
import java.net.URI;
import java.time.Duration;

/**
 * The server sidecar's configuration, built once from flags and {@code FERRY_*} variables by {@link
 * ServerSidecarMain}; each field names its flag there. Validated here.
 */
record ServerConfig(
    String amqpUri,
    String service,
    QueueType queueType,
    URI upstream,
    int concurrency,
    String adminHost,
    int adminPort,
    long maxBodySize,
    Duration drainTimeout) {

  ServerConfig {
    ConfigChecks.amqpUri(amqpUri);
    ConfigChecks.service(service);
    requireNonNull(queueType, "queueType");
    if (!"http".equals(upstream.getScheme())
        || upstream.getHost() == null
        || upstream.getRawQuery() != null
        || upstream.getRawFragment() != null) {
      throw new ConfigException(
          "--upstream: '" + upstream + "' (expected: http://HOST[:PORT][/BASE-PATH])");
    }
    if (concurrency <= 0 || concurrency > 65535) {
      throw new ConfigException("--concurrency: " + concurrency + " (expected: 1..65535)");
    }
    ConfigChecks.port("--admin-port", adminPort);
    ConfigChecks.bodySize("--max-body-size", maxBodySize);
    ConfigChecks.nonNegative("--drain-timeout", drainTimeout);
  }

  int upstreamPort() {
    return upstream.getPort() < 0 ? 80 : upstream.getPort();
  }

  /** The configuration as one log line, with the broker password redacted. */
  String describe() {
    return "service="
        + service
        + " amqp_uri="
        + AmqpConnector.redact(amqpUri)
        + " queue_type="
        + queueType.argument()
        + " upstream="
        + upstream
        + " concurrency="
        + concurrency
        + " admin="
        + adminHost
        + ":"
        + adminPort
        + " max_body_size="
        + maxBodySize
        + " drain_timeout="
        + drainTimeout.toMillis()
        + "ms";
  }
}
