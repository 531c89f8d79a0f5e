package dev.ferry.common;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.protocol.Topology;
import java.time.Duration;

/**
 * Validation shared by the sidecars' config records; each failure names the flag and the
 * expectation.
 */
public final class ConfigChecks {
  /**
   * The largest body a sidecar accepts: RabbitMQ 3.x's default {@code max_message_size} (4.x's
   * default is 16 MiB; keep {@code --max-body-size} below the broker's limit).
   */
  public static final long MAX_BODY_LIMIT = 128L * 1024 * 1024;

  private ConfigChecks() {}

  public static void service(String service) {
    try {
      Topology.checkServiceName(service);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--" + e.getMessage());
    }
  }

  /**
   * Throws a {@link ConfigException} naming {@code --amqp-uri} unless {@code uri} is an AMQP URI.
   */
  public static void amqpUri(String uri) {
    AmqpConnector.factory(uri);
  }

  public static void port(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new ConfigException(flag + ": " + port + " (expected: 0..65535)");
    }
  }

  public static void positive(String flag, Duration duration) {
    if (duration.isZero() || duration.isNegative()) {
      throw new ConfigException(flag + ": " + duration.toMillis() + "ms (expected: > 0)");
    }
  }

  public static void nonNegative(String flag, Duration duration) {
    if (duration.isNegative()) {
      throw new ConfigException(flag + ": " + duration.toMillis() + "ms (expected: >= 0)");
    }
  }

  public static void bodySize(String flag, long size) {
    if (size < 0 || size > MAX_BODY_LIMIT) {
      throw new ConfigException(
          flag + ": " + size + " (expected: 0.." + MAX_BODY_LIMIT + " bytes)");
    }
  }
}
