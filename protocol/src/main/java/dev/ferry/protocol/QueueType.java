package dev.ferry.protocol;

/**
 * The RabbitMQ queue type of a service's request queue.
 *
 * <p>Quorum queues replicate and fsync every message (durable, survive a broker restart, support
 * {@code x-delivery-limit}); classic queues are faster on slow disks. See PROTOCOL.md, "Queues".
 */
public enum QueueType {
  QUORUM("quorum"),
  CLASSIC("classic");

  private final String argument;

  QueueType(String argument) {
    this.argument = argument;
  }

  /** The value of the {@code x-queue-type} queue argument. */
  public String argument() {
    return argument;
  }
}
