package dev.ferry.server.amqp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.common.AmqpConnector;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link AmqpWriter} on a real broker, over the same self-recovering connection as production. */
class AmqpWriterIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private AmqpConnector connector;
  private AmqpWriter writer;
  private Connection testConnection;
  private String queue;

  @BeforeEach
  void setUp() throws Exception {
    connector = new AmqpConnector(broker.uri(), "ferry-writer-test");
    writer = new AmqpWriter(connector.connect());
    testConnection = broker.newConnection();
    queue = "ferry.test.writer." + broker.newService("w");
    broker.deleteAfterTest(queue);
    try (Channel channel = testConnection.createChannel()) {
      channel.queueDeclare(queue, false, false, false, null);
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    writer.close();
    connector.close();
    testConnection.close();
  }

  @Test
  void reopensItsChannelAfterTheBrokerClosesIt() throws Exception {
    String refused = publish(queue, refusedByTheBroker()).get(10, TimeUnit.SECONDS);

    assertThat(refused).contains("406");
    await().atMost(Duration.ofSeconds(10)).until(writer::isOpen);
    assertThat(publish(queue, message("after")).get(10, TimeUnit.SECONDS)).isEqualTo("confirmed");
    assertThat(publish(queue, message("again")).get(10, TimeUnit.SECONDS)).isEqualTo("confirmed");
    assertThat(messageCount()).isEqualTo(2);
  }

  @Test
  void failsOnlyAMessageThatCannotBeEncodedAndKeepsConfirmsAligned() throws Exception {
    String tooLongRoutingKey = "q".repeat(300);

    String failed = publish(tooLongRoutingKey, message("never")).get(10, TimeUnit.SECONDS);

    assertThat(failed).startsWith("message cannot be sent");
    for (int i = 0; i < 3; i++) {
      assertThat(publish(queue, message("m" + i)).get(10, TimeUnit.SECONDS)).isEqualTo("confirmed");
    }
    assertThat(messageCount()).isEqualTo(3);
    await().atMost(Duration.ofSeconds(10)).until(writer::isOpen);
  }

  /** Publishes through the writer; completes with "confirmed" or the failure reason. */
  private CompletableFuture<String> publish(String routingKey, AmqpMessage message) {
    CompletableFuture<String> outcome = new CompletableFuture<>();
    writer.publish(
        routingKey,
        message,
        AmqpWriter.Confirmation.of(() -> outcome.complete("confirmed"), outcome::complete));
    return outcome;
  }

  private static AmqpMessage message(String body) {
    return new AmqpMessage(new AMQP.BasicProperties(), body.getBytes(UTF_8));
  }

  /** The broker closes the channel (406) on a user_id that is not the connection's user. */
  static AmqpMessage refusedByTheBroker() {
    return new AmqpMessage(
        new AMQP.BasicProperties.Builder().userId("ferry-nobody").build(), new byte[0]);
  }

  private long messageCount() throws Exception {
    try (Channel channel = testConnection.createChannel()) {
      return channel.queueDeclarePassive(queue).getMessageCount();
    }
  }
}
