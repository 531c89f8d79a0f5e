package dev.ferry.loadtest.soak;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * The soak's own look at the broker, on a direct connection (not through a fault proxy): how many
 * requests are left in the service's queue, and deleting the service's queues at the end.
 */
final class Broker {
  private Broker() {}

  /** Ready messages in {@code ferry.req.<service>}; -1 when it cannot be read. */
  static long requestQueueMessages(String amqpUri, String service) {
    try (Connection connection = connect(amqpUri);
        Channel channel = connection.createChannel()) {
      return channel.queueDeclarePassive(Topology.REQUEST_PREFIX + service).getMessageCount();
    } catch (IOException | TimeoutException | RuntimeException e) {
      return -1; // Also a missing queue: the 404 closes the channel, and closing it then throws.
    }
  }

  /** Deletes {@code ferry.req.<service>} and {@code ferry.dlq.<service>}; best effort. */
  static void deleteQueues(String amqpUri, String service) {
    for (String queue :
        new String[] {Topology.REQUEST_PREFIX + service, Topology.DEAD_LETTER_PREFIX + service}) {
      try (Connection connection = connect(amqpUri);
          Channel channel = connection.createChannel()) {
        channel.queueDelete(queue);
      } catch (IOException | TimeoutException | RuntimeException e) {
        // Absent, or the broker is away: the queue is left for an operator.
      }
    }
  }

  private static Connection connect(String amqpUri) throws IOException, TimeoutException {
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
    return factory.newConnection("ferry-soak-check");
  }
}
