package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.common.Topologies;
import dev.ferry.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Signatures survive a real broker: its re-encoding, and the headers it adds on redelivery. */
class MessageSignerIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void aSignedRequestVerifiesAfterTheBrokerRedeliveredIt() throws Exception {
    MessageSigner signer =
        MessageSigner.of(List.of("a-key-of-at-least-16-bytes".getBytes(StandardCharsets.UTF_8)));
    String service = broker.newService("signed");
    String queue = Topology.requestQueue(service);
    AmqpMessage signed =
        signer.sign(
            EnvelopeCodec.encodeRequest(
                new RequestEnvelope(
                    CallKind.HTTP,
                    "GET",
                    "/x",
                    List.of(new Header("x-multi", "1"), new Header("x-multi", "2")),
                    new byte[] {0, 1, 2},
                    Ids.random128(),
                    Ids.random128(),
                    "ferry.reply.test",
                    System.currentTimeMillis(),
                    System.currentTimeMillis() + 60_000)),
            "",
            queue);
    try (Connection connection = broker.newConnection()) {
      Topologies.declareRequestQueue(connection, service, QueueType.QUORUM);
      Channel channel = connection.createChannel();
      channel.basicPublish("", queue, signed.properties(), signed.body());

      AtomicReference<GetResponse> first = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> (first.updateAndGet(r -> r != null ? r : get(channel, queue))) != null);
      signer.verify(
          first.get().getProps(),
          first.get().getBody(),
          "",
          first.get().getEnvelope().getRoutingKey());
      channel.basicNack(first.get().getEnvelope().getDeliveryTag(), false, true);

      AtomicReference<GetResponse> again = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> (again.updateAndGet(r -> r != null ? r : get(channel, queue))) != null);
      assertThat(again.get().getProps().getHeaders()).containsKey("x-delivery-count");
      signer.verify(
          again.get().getProps(),
          again.get().getBody(),
          "",
          again.get().getEnvelope().getRoutingKey());
      channel.basicAck(again.get().getEnvelope().getDeliveryTag(), false);
    }
  }

  private static GetResponse get(Channel channel, String queue) {
    try {
      return channel.basicGet(queue, false);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
