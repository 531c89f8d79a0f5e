package dev.ferry.e2e;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.testing.RabbitBroker;

/** Looks at queues on the test broker. */
final class Queues {
  private Queues() {}

  /** Ready messages in {@code queue}, or -1 when it does not exist. */
  static long ready(RabbitBroker broker, String queue) throws Exception {
    try (Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      return channel.queueDeclarePassive(queue).getMessageCount();
    } catch (java.io.IOException e) {
      return -1;
    }
  }
}
