package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.LongStringHelper;
import dev.ferry.common.Topologies;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Declares Ferry's queues on a real RabbitMQ and checks what the broker made of them. */
class TopologyIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static final int PRECONDITION_FAILED = 406;

  private Connection connection;

  @BeforeEach
  void connect() throws IOException, TimeoutException {
    connection = broker.newConnection();
  }

  @AfterEach
  void disconnect() throws IOException {
    connection.close();
  }

  @ParameterizedTest
  @EnumSource(QueueType.class)
  void declaresTheRequestQueueTwiceWithTheSameType(QueueType type) throws IOException {
    String service = broker.newService("twice");
    Topologies.declareRequestQueue(connection, service, type);
    Topologies.declareRequestQueue(connection, service, type);

    String queue = Topology.requestQueue(service);
    assertThat(isDeclaredAs(queue, true, Topology.requestQueueArguments(type))).isTrue();
    assertThat(isDeclaredAs(queue, true, Topology.requestQueueArguments(other(type)))).isFalse();
  }

  @ParameterizedTest
  @EnumSource(QueueType.class)
  void usesAnExistingRequestQueueOfTheOtherType(QueueType first) throws IOException {
    String service = broker.newService("other-type");
    Topologies.declareRequestQueue(connection, service, first);

    Topologies.declareRequestQueue(connection, service, other(first));

    String queue = Topology.requestQueue(service);
    assertThat(isDeclaredAs(queue, true, Topology.requestQueueArguments(first))).isTrue();
  }

  @Test
  void dropsAnExpiredRequestFromAQuorumRequestQueue() throws Exception {
    String service = broker.newService("expiry");
    Topologies.declareRequestQueue(connection, service, QueueType.QUORUM);
    String queue = Topology.requestQueue(service);
    long now = System.currentTimeMillis();
    try (Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      publish(channel, queue, request("short-lived", now, now + 200));
      publish(channel, queue, request("long-lived", now, now + 600_000));
      channel.waitForConfirmsOrDie(10_000);

      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> channel.queueDeclarePassive(queue).getMessageCount() == 1);

      GetResponse left = channel.basicGet(queue, true);
      assertThat(left.getProps().getMessageId()).isEqualTo("long-lived");
    }
  }

  @Test
  void declaresTheReplyQueueToExpireWhenUnused() throws IOException, TimeoutException {
    String queue = Topology.replyQueue("it-" + broker.newService("reply"));
    broker.deleteAfterTest(queue);
    try (Channel channel = connection.createChannel()) {
      Topologies.declareReplyQueue(channel, queue);
      Topologies.declareReplyQueue(channel, queue);
    }

    Map<String, Object> expected = Map.of("x-queue-type", "classic", "x-expires", 60_000);
    assertThat(isDeclaredAs(queue, false, expected)).isTrue();
    assertThat(isDeclaredAs(queue, false, Map.of("x-queue-type", "classic", "x-expires", 1_000)))
        .as("x-expires is 60000")
        .isFalse();
    assertThat(isDeclaredAs(queue, true, expected)).as("not durable").isFalse();
    try (Connection another = broker.newConnection();
        Channel channel = another.createChannel()) {
      assertThat(channel.queueDeclarePassive(queue).getQueue())
          .as("not exclusive: another connection may use it")
          .isEqualTo(queue);
    }
  }

  @Test
  void declaresTheDeadLetterQueue() throws Exception {
    String service = broker.newService("dlq");
    Topologies.declareDeadLetterQueue(connection, service);
    Topologies.declareDeadLetterQueue(connection, service);

    String queue = Topology.deadLetterQueue(service);
    Map<String, Object> expected = Map.of("x-queue-type", "classic", "x-max-length", 10_000);
    assertThat(isDeclaredAs(queue, true, expected)).isTrue();
    assertThat(isDeclaredAs(queue, true, Map.of("x-queue-type", "classic", "x-max-length", 10)))
        .as("x-max-length is 10000")
        .isFalse();
    try (Channel channel = connection.createChannel()) {
      channel.confirmSelect();
      String reason = "ferry-version: unsupported version 2 (expected: 1)";
      publish(channel, queue, deadLetter(request("dead", 0, 1), reason));
      channel.waitForConfirmsOrDie(10_000);
      assertThat(channel.queueDeclarePassive(queue).getMessageCount()).isEqualTo(1);
      GetResponse kept = channel.basicGet(queue, true);
      assertThat(kept.getProps().getMessageId()).isEqualTo("dead");
      assertThat(kept.getProps().getHeaders().get("ferry-dead-letter-reason")).hasToString(reason);
    }
  }

  private static AmqpMessage request(String messageId, long sentAt, long deadline) {
    return EnvelopeCodec.encodeRequest(
        new RequestEnvelope(
            CallKind.HTTP,
            "GET",
            "/",
            List.of(),
            new byte[0],
            messageId,
            Ids.random128(),
            "ferry.reply.nobody",
            sentAt,
            deadline));
  }

  /**
   * The copy a server sidecar dead-letters (PROTOCOL.md, "Dead letters"): the original properties
   * and body with the reason added, and without the expiration, which would drop the copy too.
   */
  private static AmqpMessage deadLetter(AmqpMessage original, String reason) {
    Map<String, Object> headers = new HashMap<>(original.properties().getHeaders());
    headers.put("ferry-dead-letter-reason", LongStringHelper.asLongString(reason));
    return new AmqpMessage(
        original.properties().builder().expiration(null).headers(headers).build(), original.body());
  }

  private static void publish(Channel channel, String queue, AmqpMessage message)
      throws IOException {
    channel.basicPublish("", queue, true, message.properties(), message.body());
  }

  private static QueueType other(QueueType type) {
    return type == QueueType.QUORUM ? QueueType.CLASSIC : QueueType.QUORUM;
  }

  /**
   * Whether the broker accepts a strict (non-passive) re-declaration of {@code queue} with these
   * settings; RabbitMQ refuses one whose durability, type or checked arguments differ (406).
   */
  private boolean isDeclaredAs(String queue, boolean durable, Map<String, Object> arguments)
      throws IOException {
    Channel channel = connection.createChannel();
    try {
      channel.queueDeclare(queue, durable, false, false, arguments);
    } catch (IOException e) {
      if (e.getCause() instanceof ShutdownSignalException signal
          && signal.getReason() instanceof AMQP.Channel.Close close
          && close.getReplyCode() == PRECONDITION_FAILED) {
        return false;
      }
      throw e;
    }
    try {
      channel.close();
    } catch (TimeoutException e) {
      throw new IOException(e);
    }
    return true;
  }
}
