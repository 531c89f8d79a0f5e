package dev.ferry.scaler;

import static java.util.Objects.requireNonNull;

import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.ConfigChecks;
import dev.ferry.protocol.MessageSigner;
import java.time.Duration;

/**
 * The scaler's configuration, built once from flags and {@code FERRY_*} variables by {@link
 * ScalerMain} (a flag wins over its variable) and validated here; a bad value is a {@link
 * ConfigException} naming the flag.
 *
 * @param amqpUri {@code --amqp-uri} and the other broker flags, as for the sidecars; the password
 *     is never logged
 * @param grpcPort {@code --grpc-port}, {@code FERRY_GRPC_PORT}: where KEDA calls the {@code
 *     externalscaler.ExternalScaler} service (plaintext, all interfaces), default 6000; 0 picks a
 *     free one
 * @param adminHost {@code --admin-host}, {@code FERRY_ADMIN_HOST}: address of {@code /healthz},
 *     {@code /readyz} and {@code /metrics}, default {@code 0.0.0.0}
 * @param adminPort {@code --admin-port}, {@code FERRY_ADMIN_PORT}: their port, default 9092; 0
 *     picks a free one
 * @param pollInterval {@code --poll-interval}, {@code FERRY_POLL_INTERVAL}: how often each watched
 *     service's queue depth is read, default 200ms; 10ms to 1m. Also how soon a first request is
 *     noticed: the activation delay
 * @param signer {@code --signing-key-file}, {@code FERRY_SIGNING_KEY_FILE}: in-flight reports must
 *     be signed with one of its keys; {@link MessageSigner#NONE} (any report counts) without it
 */
record ScalerConfig(
    String amqpUri,
    int grpcPort,
    String adminHost,
    int adminPort,
    Duration pollInterval,
    MessageSigner signer) {

  static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(10);
  static final Duration MAX_POLL_INTERVAL = Duration.ofMinutes(1);

  ScalerConfig {
    ConfigChecks.amqpUri(amqpUri);
    ConfigChecks.port("--grpc-port", grpcPort);
    ConfigChecks.port("--admin-port", adminPort);
    requireNonNull(adminHost, "adminHost");
    requireNonNull(signer, "signer");
    if (pollInterval.compareTo(MIN_POLL_INTERVAL) < 0
        || pollInterval.compareTo(MAX_POLL_INTERVAL) > 0) {
      throw new ConfigException(
          "--poll-interval: " + pollInterval.toMillis() + "ms (expected: 10ms..1m)");
    }
  }

  /**
   * How long a queue reading counts as current: ten poll intervals, at least 10 s. Older ones mean
   * the broker is out of reach, and questions get UNAVAILABLE instead of a stale answer.
   */
  Duration staleAfter() {
    Duration tenPolls = pollInterval.multipliedBy(10);
    return tenPolls.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : tenPolls;
  }

  /** The configuration as one log line, with the broker password redacted. */
  String describe() {
    return "amqp_uri="
        + AmqpConnector.redact(amqpUri)
        + " grpc_port="
        + grpcPort
        + " admin="
        + adminHost
        + ":"
        + adminPort
        + " poll_interval="
        + pollInterval.toMillis()
        + "ms signing="
        + signer.enabled();
  }
}
