package dev.ferry.common;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.impl.recovery.AutorecoveringConnection;
import com.rabbitmq.client.impl.recovery.ConsumerRecoveryListener;
import dev.ferry.testing.OwnedBroker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link AmqpConnector}'s view of a broker memory alarm across a connection recovery, on a RabbitMQ
 * node of the test's own ({@link OwnedBroker}: an alarm blocks every publisher of its node). The
 * broker closes the blocked connection, and amqp-client opens a new one and consumes again on it
 * before it reports the recovery: the test holds the recovery right after the consumer came back
 * ({@link ConsumerRecoveryListener}), so that what the new connection does meanwhile is seen every
 * time, not only when a race goes one way.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AmqpConnectorAlarmIT {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  @RegisterExtension static final OwnedBroker broker = new OwnedBroker();

  private final String queue =
      "ferry.test.alarm." + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  private final AtomicInteger blocks = new AtomicInteger();
  private AmqpConnector connector;
  private Connection connection;
  private Channel publishing;
  private Channel consuming;

  @BeforeEach
  void setUp() throws Exception {
    try (Connection test = broker.newConnection()) {
      Channel channel = test.createChannel();
      channel.queueDeclare(queue, true, false, false, null);
      channel.basicPublish("", queue, null, "request".getBytes(UTF_8));
    }
    connector = new AmqpConnector(broker.uri(), "ferry-alarm-test");
    connection = connector.connect();
    connection.addBlockedListener(reason -> blocks.incrementAndGet(), () -> {});
    // Opened before the alarm: the broker reads nothing from a blocked connection, opens included.
    publishing = connection.createChannel();
    consuming = connection.createChannel();
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      broker.clearMemoryAlarm();
    } finally {
      connector.close();
      try (Connection test = broker.newConnection()) {
        test.createChannel().queueDelete(queue);
      }
    }
  }

  @Test
  void deliveriesOfTheRecoveredConnectionDoNotSeeTheOldConnectionsBlock() throws Exception {
    List<String> events = consume();
    connector.onConnectionLost(() -> events.add("connection lost"));
    await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 1);
    broker.raiseMemoryAlarm();
    blockTheConnection();
    holdTheRecoveryUntil(() -> events.size() == 3);

    closeConnectionsAndAwaitRecovery();

    // Delivered again on the new connection, which has published nothing yet: not blocked.
    assertThat(events)
        .containsExactly("delivery blocked=false", "connection lost", "delivery blocked=false");
  }

  @Test
  void keepsABlockOfTheNewConnectionThatCameWhileItWasBeingRecovered() throws Exception {
    consume();
    broker.raiseMemoryAlarm();
    blockTheConnection();
    // Publishes on the new connection before the recovery is reported; the broker blocks it.
    holdTheRecoveryUntil(
        () -> {
          publishing.basicPublish("", "ferry.test.nowhere", null, new byte[0]);
          await().atMost(Duration.ofSeconds(20)).until(() -> blocks.get() == 2);
          return true;
        });

    closeConnectionsAndAwaitRecovery();

    assertThat(connector.isBlocked()).as("blocked after the recovery").isTrue();
    broker.clearMemoryAlarm();
    await().atMost(Duration.ofSeconds(30)).until(() -> !connector.isBlocked());
  }

  /** Publishes during the alarm, the broker's cue to block the connection; waits until it does. */
  private void blockTheConnection() throws Exception {
    publishing.basicPublish("", "ferry.test.nowhere", null, new byte[0]);
    await().atMost(Duration.ofSeconds(30)).until(connector::isBlocked);
    assertThat(blocks).hasValue(1);
  }

  /** Consumes the queue; the list tells, per delivery, whether the connector said blocked. */
  private List<String> consume() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    consuming.basicConsume(
        queue,
        false,
        new DefaultConsumer(consuming) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            events.add("delivery blocked=" + connector.isBlocked());
          }
        });
    return events;
  }

  /**
   * Once amqp-client has consumed again on the new connection, it waits (up to 20 s) until {@code
   * condition} holds before it goes on to report the recovery.
   */
  private void holdTheRecoveryUntil(Callable<Boolean> condition) {
    ((AutorecoveringConnection) connection)
        .addConsumerRecoveryListener(
            (oldTag, newTag) -> await().atMost(Duration.ofSeconds(20)).until(condition));
  }

  private void closeConnectionsAndAwaitRecovery() throws Exception {
    broker.rabbitmqctl("close_all_connections", "test: connection lost");
    await().atMost(Duration.ofSeconds(60)).until(() -> connector.recoveries() == 1);
  }
}
