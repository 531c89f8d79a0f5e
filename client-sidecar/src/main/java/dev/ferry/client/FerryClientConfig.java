package dev.ferry.client;

import static java.util.Objects.requireNonNull;

import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import java.time.Duration;

/**
 * How a {@link FerryClient} connects and how much it holds.
 *
 * @param amqpUri the broker, e.g. {@code amqp://guest:guest@127.0.0.1:5672/}
 * @param queueType the type the client declares request queues with when they do not exist yet
 * @param maxPending calls waiting for a reply at once; beyond it calls fail at once with {@code
 *     overloaded}
 * @param maxPendingBytes bytes of request bodies waiting for replies at once; beyond it calls fail
 *     at once with {@code overloaded}
 * @param connectionName how the connection appears in the broker's management UI
 * @param signer signs what the client publishes and checks what it receives (PROTOCOL.md §16);
 *     {@link MessageSigner#NONE} when the deployment does not sign
 */
public record FerryClientConfig(
    String amqpUri,
    QueueType queueType,
    int maxPending,
    long maxPendingBytes,
    String connectionName,
    MessageSigner signer) {

  /** The default maximum of pending calls. */
  public static final int DEFAULT_MAX_PENDING = 10_000;

  /** The default maximum of request bytes held by pending calls: 256 MiB. */
  public static final long DEFAULT_MAX_PENDING_BYTES = 256L * 1024 * 1024;

  /** Without signing. */
  public FerryClientConfig(
      String amqpUri,
      QueueType queueType,
      int maxPending,
      long maxPendingBytes,
      String connectionName) {
    this(amqpUri, queueType, maxPending, maxPendingBytes, connectionName, MessageSigner.NONE);
  }

  /** With the default byte bound, without signing. */
  public FerryClientConfig(
      String amqpUri, QueueType queueType, int maxPending, String connectionName) {
    this(amqpUri, queueType, maxPending, DEFAULT_MAX_PENDING_BYTES, connectionName);
  }

  public FerryClientConfig {
    requireNonNull(amqpUri, "amqpUri");
    requireNonNull(queueType, "queueType");
    requireNonNull(connectionName, "connectionName");
    requireNonNull(signer, "signer");
    if (maxPending <= 0) {
      throw new IllegalArgumentException("maxPending: " + maxPending + " (expected: > 0)");
    }
    if (maxPendingBytes <= 0) {
      throw new IllegalArgumentException(
          "maxPendingBytes: " + maxPendingBytes + " (expected: > 0)");
    }
  }

  /** This configuration with messages signed and checked by {@code signer}. */
  public FerryClientConfig withSigner(MessageSigner signer) {
    return new FerryClientConfig(
        amqpUri, queueType, maxPending, maxPendingBytes, connectionName, signer);
  }

  /** Defaults for everything but the broker URI. */
  public static FerryClientConfig of(String amqpUri) {
    return new FerryClientConfig(amqpUri, QueueType.QUORUM, DEFAULT_MAX_PENDING, "ferry-client");
  }

  /** A deadline far enough out for a cold start; the sidecar's {@code --timeout} default. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
}
