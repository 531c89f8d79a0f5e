package dev.ferry.client.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The reply consumer against a real broker. */
class ReplyConsumerIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void consumesAgainWhenItsQueueIsDeleted() throws Exception {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    try (Connection connection = broker.newConnection()) {
      PendingCalls pending = new PendingCalls(10, timer);
      ReplyConsumer replies =
          new ReplyConsumer(
              connection,
              "it-" + System.nanoTime(),
              pending,
              new StreamRegistry(),
              MessageSigner.NONE);
      replies.start();
      broker.deleteAfterTest(replies.queue());
      try (Channel channel = connection.createChannel()) {
        channel.queueDelete(replies.queue());
        await().atMost(Duration.ofSeconds(10)).until(replies::isConsuming);
        PendingCall call = pending.register("corr-1", "svc", 10_000);

        AmqpMessage reply =
            EnvelopeCodec.encodeResponse(
                new ResponseEnvelope("corr-1", 200, List.of(), new byte[] {1}, null, 3),
                System.currentTimeMillis());
        channel.basicPublish("", replies.queue(), reply.properties(), reply.body());

        assertThat(call.future().get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
      } finally {
        replies.close();
      }
    } finally {
      timer.shutdownNow();
    }
  }
}
