package dev.ferry.loadtest.scale;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Reads how many messages are ready in the watched queue, with a passive declare on a connection of
 * its own (what KEDA's RabbitMQ scaler does with {@code protocol: amqp}); reconnects after a
 * failure. Not thread-safe: one reader (the control thread).
 */
final class QueueDepth implements AutoCloseable {
  private final String amqpUri;
  private final String queue;
  private Connection connection;
  private Channel channel;

  QueueDepth(String amqpUri, String queue) {
    this.amqpUri = amqpUri;
    this.queue = queue;
  }

  /** Ready messages in the queue; -1 when they cannot be read (broker away, no such queue). */
  long ready() {
    try {
      if (channel == null || !channel.isOpen()) {
        channel = connection().createChannel();
      }
      return channel.queueDeclarePassive(queue).getMessageCount();
    } catch (IOException | TimeoutException | RuntimeException e) {
      channel = null; // A missing queue (404) closes the channel; the next read opens another.
      return -1;
    }
  }

  private Connection connection() throws IOException, TimeoutException {
    if (connection != null && connection.isOpen()) {
      return connection;
    }
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(amqpUri);
    } catch (Exception e) {
      throw new IOException("bad broker URI", e);
    }
    if (factory.getVirtualHost().isEmpty()) {
      factory.setVirtualHost("/"); // As the sidecars read "amqp://host:5672/" (AmqpConnector).
    }
    factory.setConnectionTimeout(5_000);
    factory.setAutomaticRecoveryEnabled(false);
    connection = factory.newConnection("ferry-scale-watch");
    return connection;
  }

  @Override
  public void close() {
    if (connection != null) {
      try {
        connection.close(2_000);
      } catch (IOException | RuntimeException e) {
        // Already gone.
      }
    }
  }
}
