package dev.ferry.client;

import static java.util.Objects.requireNonNull;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.time.Duration;

/**
 * The client sidecar's configuration, built once from flags and {@code FERRY_*} variables by
 * {@link ClientSidecarMain}; each field names its flag there. Validated here.
 */
record ClientConfig(
    String amqpUri,
    String service,
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
    Duration idleTimeout,
    Duration drainTimeout) {

  /** The largest body a sidecar accepts: Netty aggregates into one buffer indexed by int. */
  static final long MAX_BODY_LIMIT = 512L * 1024 * 1024;

  /** Headers travel in the message properties, which must fit in one frame (frame_max 128 KiB). */
  static final long MAX_HEADER_LIMIT = 64 * 1024;

  ClientConfig {
    requireNonNull(amqpUri, "amqpUri");
    try {
      Topology.checkServiceName(service);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--" + e.getMessage());
    }
    requireNonNull(queueType, "queueType");
    port("--http-port", httpPort);
    port("--grpc-port", grpcPort);
    port("--admin-port", adminPort);
    positive("--timeout", timeout);
    if (timeout.compareTo(FerryCall.MAX_TIMEOUT) > 0) {
      throw new ConfigException("--timeout: " + timeout.toMillis() + "ms (expected: at most 7d)");
    }
    positive("--idle-timeout", idleTimeout);
    if (drainTimeout.isNegative()) {
      throw new ConfigException("--drain-timeout: " + drainTimeout + " (expected: >= 0)");
    }
    if (maxBodySize < 0 || maxBodySize > MAX_BODY_LIMIT) {
      throw new ConfigException("--max-body-size: " + maxBodySize + " (expected: 0.." + MAX_BODY_LIMIT + " bytes)");
    }
    if (maxHeaderSize < 1024 || maxHeaderSize > MAX_HEADER_LIMIT) {
      // Every property of a message must fit in one AMQP frame (RabbitMQ's frame_max: 128 KiB).
      throw new ConfigException("--max-header-size: " + maxHeaderSize + " (expected: 1KiB..64KiB)");
    }
    if (maxPending <= 0) {
      throw new ConfigException("--max-pending: " + maxPending + " (expected: > 0)");
    }
  }

  static void port(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new ConfigException(flag + ": " + port + " (expected: 0..65535)");
    }
  }

  static void positive(String flag, Duration duration) {
    if (duration.isZero() || duration.isNegative()) {
      throw new ConfigException(flag + ": " + duration.toMillis() + "ms (expected: > 0)");
    }
  }

  /** The configuration as one log line, with the broker password redacted. */
  String describe() {
    return "service=" + service + " amqp_uri=" + AmqpConnector.redact(amqpUri)
        + " queue_type=" + queueType.argument() + " http=" + httpHost + ":" + httpPort
        + " admin=" + adminHost + ":" + adminPort + " timeout=" + timeout.toMillis() + "ms"
        + " max_body_size=" + maxBodySize + " max_header_size=" + maxHeaderSize
        + " max_pending=" + maxPending + " drain_timeout=" + drainTimeout.toMillis() + "ms";
  }
}
