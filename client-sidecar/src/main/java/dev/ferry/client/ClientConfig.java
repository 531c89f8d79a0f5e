package dev.ferry.client;

import static java.util.Objects.requireNonNull;

import dev.ferry.client.ingress.Routes;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.ConfigChecks;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * The client sidecar's configuration, built once from flags and {@code FERRY_*} variables by {@link
 * ClientSidecarMain}; each field names its flag there. Validated here.
 */
record ClientConfig(
    String amqpUri,
    String service,
    Routes routes,
    QueueType queueType,
    String httpHost,
    int httpPort,
    int grpcPort,
    String adminHost,
    int adminPort,
    Duration timeout,
    long maxBodySize,
    long maxHeaderSize,
    int maxPending,
    long maxPendingBytes,
    Duration idleTimeout,
    Duration readTimeout,
    Duration drainTimeout,
    MessageSigner signer) {

  /** Headers travel in the message properties, which must fit in one frame (frame_max 128 KiB). */
  static final long MAX_HEADER_LIMIT = 64 * 1024;

  ClientConfig {
    ConfigChecks.amqpUri(amqpUri);
    if (service != null) {
      ConfigChecks.service(service);
    }
    requireNonNull(routes, "routes");
    if (service == null
        && routes.grpcServices().isEmpty()
        && routes.hosts().isEmpty()
        && routes.paths().isEmpty()) {
      throw new ConfigException(
          "--service: missing (expected: a default service, or --route entries)");
    }
    requireNonNull(queueType, "queueType");
    requireNonNull(signer, "signer");
    ConfigChecks.port("--http-port", httpPort);
    ConfigChecks.port("--grpc-port", grpcPort);
    ConfigChecks.port("--admin-port", adminPort);
    ConfigChecks.positive("--timeout", timeout);
    if (timeout.compareTo(FerryCall.MAX_TIMEOUT) > 0) {
      throw new ConfigException("--timeout: " + timeout.toMillis() + "ms (expected: at most 7d)");
    }
    ConfigChecks.positive("--idle-timeout", idleTimeout);
    ConfigChecks.positive("--read-timeout", readTimeout);
    ConfigChecks.nonNegative("--drain-timeout", drainTimeout);
    ConfigChecks.bodySize("--max-body-size", maxBodySize);
    if (maxHeaderSize < 1024 || maxHeaderSize > MAX_HEADER_LIMIT) {
      // Every property of a message must fit in one AMQP frame (RabbitMQ's frame_max: 128 KiB).
      throw new ConfigException("--max-header-size: " + maxHeaderSize + " (expected: 1KiB..64KiB)");
    }
    if (maxPending <= 0) {
      throw new ConfigException("--max-pending: " + maxPending + " (expected: > 0)");
    }
    if (maxPendingBytes < maxBodySize) {
      throw new ConfigException(
          "--max-pending-bytes: "
              + maxPendingBytes
              + " (expected: at least --max-body-size, "
              + maxBodySize
              + ")");
    }
  }

  /** Every service this sidecar may send to: the default and those routes name. */
  Set<String> services() {
    Set<String> services = new TreeSet<>();
    if (service != null) {
      services.add(service);
    }
    services.addAll(routes.grpcServices().values());
    services.addAll(routes.hosts().values());
    routes.paths().forEach(path -> services.add(path.service()));
    return services;
  }

  /** The configuration as one log line, with the broker password redacted. */
  String describe() {
    return "service="
        + service
        + " amqp_uri="
        + AmqpConnector.redact(amqpUri)
        + " queue_type="
        + queueType.argument()
        + " http="
        + httpHost
        + ":"
        + httpPort
        + " admin="
        + adminHost
        + ":"
        + adminPort
        + " timeout="
        + timeout.toMillis()
        + "ms"
        + " max_body_size="
        + maxBodySize
        + " max_header_size="
        + maxHeaderSize
        + " max_pending="
        + maxPending
        + " read_timeout="
        + readTimeout.toMillis()
        + "ms"
        + " drain_timeout="
        + drainTimeout.toMillis()
        + "ms";
  }
}
