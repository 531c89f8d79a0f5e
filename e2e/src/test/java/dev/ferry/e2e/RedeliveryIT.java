package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.common.Topologies;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A request the broker delivers again reaches the service marked, with a stable idempotency key.
 */
class RedeliveryIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void marksRedeliveredRequestsAndKeepsTheirIdempotencyKey() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "redeliver");
        Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      String queue = Topology.requestQueue(pair.service);
      String replyQueue = Topology.replyQueue("test-" + pair.service);
      broker.deleteAfterTest(replyQueue);
      Topologies.declareRequestQueue(connection, pair.service, QueueType.CLASSIC);
      Topologies.declareReplyQueue(channel, replyQueue);
      long now = System.currentTimeMillis();
      AmqpMessage message =
          EnvelopeCodec.encodeRequest(
              new RequestEnvelope(
                  CallKind.HTTP,
                  "GET",
                  "/again",
                  List.of(new Header("Host", "svc")),
                  new byte[0],
                  "message-42",
                  "corr-42",
                  replyQueue,
                  now,
                  now + 30_000));
      channel.basicPublish("", queue, message.properties(), message.body());
      // A consumer that takes the request and dies without acking it: the broker requeues it,
      // redelivered.
      try (Channel doomed = connection.createChannel()) {
        await().atMost(Duration.ofSeconds(10)).until(() -> doomed.basicGet(queue, false) != null);
      }

      pair.server("http://127.0.0.1:" + echo.port());

      ResponseEnvelope reply = Queues.awaitReply(channel, replyQueue);
      assertThat(reply.correlationId()).isEqualTo("corr-42");
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.headers())
          .contains(
              new Header("x-echo-h-ferry-redelivered", "true"),
              new Header("x-echo-h-idempotency-key", "message-42"));
    }
  }

  @Test
  void answersARequestPublishedAgainFromTheReplyCacheWithoutRunningTheServiceTwice()
      throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "cached");
        Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      String queue = Topology.requestQueue(pair.service);
      String replyQueue = Topology.replyQueue("test-" + pair.service);
      broker.deleteAfterTest(replyQueue);
      Topologies.declareRequestQueue(connection, pair.service, QueueType.CLASSIC);
      Topologies.declareReplyQueue(channel, replyQueue);
      pair.server("http://127.0.0.1:" + echo.port());
      long now = System.currentTimeMillis();
      AmqpMessage message =
          EnvelopeCodec.encodeRequest(
              new RequestEnvelope(
                  CallKind.HTTP,
                  "POST",
                  "/once",
                  List.of(new Header("Host", "svc")),
                  "pay".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                  "message-7",
                  "corr-7",
                  replyQueue,
                  now,
                  now + 30_000));

      channel.basicPublish("", queue, message.properties(), message.body());
      ResponseEnvelope first = Queues.awaitReply(channel, replyQueue);
      channel.basicPublish("", queue, message.properties(), message.body());
      ResponseEnvelope second = Queues.awaitReply(channel, replyQueue);

      assertThat(first.status()).isEqualTo(200);
      assertThat(second.status()).isEqualTo(200);
      assertThat(second.body()).isEqualTo(first.body());
      assertThat(second.correlationId()).isEqualTo("corr-7");
      assertThat(echo.requests()).isEqualTo(1);
    }
  }
}
