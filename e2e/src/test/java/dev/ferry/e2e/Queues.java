package dev.ferry.e2e;

import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Looks at queues on the test broker. */
final class Queues {
  private Queues() {}

  /** Takes the next message off {@code queue}, waiting for it up to 10 s. */
  static GetResponse awaitMessage(Channel channel, String queue) {
    AtomicReference<GetResponse> got = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              got.set(channel.basicGet(queue, true));
              return got.get() != null;
            });
    return got.get();
  }

  /** Takes the next reply off {@code queue} and decodes it. */
  static ResponseEnvelope awaitReply(Channel channel, String queue) throws Exception {
    GetResponse message = awaitMessage(channel, queue);
    return EnvelopeCodec.decodeResponse(message.getProps(), message.getBody());
  }

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
