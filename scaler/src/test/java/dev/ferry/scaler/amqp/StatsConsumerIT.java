package dev.ferry.scaler.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.scaler.load.Loads;
import dev.ferry.scaler.load.ServiceLoad;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stats consumer on a real broker keeps consuming on its own: after its queue is deleted, or
 * its channel closed by the broker or by someone else, it declares a new queue on a new channel and
 * counts the reports published from then on; readiness ({@link StatsConsumer#isConsuming}) follows.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatsConsumerIT {
  private static final Duration GENEROUS = Duration.ofSeconds(10);

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private final Loads loads = new Loads(System::nanoTime, Duration.ofMinutes(1));
  private Connection connection;
  private Connection publisher;
  private Channel publishing;
  private StatsConsumer consumer;
  private String service;
  private ServiceLoad load;

  @BeforeEach
  void start() throws Exception {
    connection = broker.newConnection();
    publisher = broker.newConnection();
    publishing = publisher.createChannel();
    consumer = StatsConsumer.start(connection, loads, MessageSigner.NONE);
    service = broker.newService("stats");
    load = loads.watch(service);
    load.ready(0);
    assertThat(consumer.isConsuming()).isTrue();
    reportCounted("first", 1);
  }

  @AfterEach
  void stop() throws Exception {
    if (consumer != null) {
      consumer.close();
    }
    if (connection != null) {
      connection.close();
    }
    if (publisher != null) {
      publisher.close();
    }
  }

  @Test
  void consumesAgainAfterItsQueueIsDeleted() throws Exception {
    Channel channel = consumer.channel();
    // As an operator would: from another connection (the queue is not exclusive).
    publishing.queueDelete(consumer.queue());

    await().atMost(GENEROUS).until(() -> consumer.isConsuming() && consumer.channel() != channel);
    reportCounted("after-delete", 2);
  }

  @Test
  void consumesAgainAfterTheBrokerClosesItsChannel() throws Exception {
    Channel channel = consumer.channel();
    // A channel-level error (404): the broker closes the channel, the connection stays.
    assertThatThrownBy(() -> channel.queueDeclarePassive("ferry.absent." + service))
        .isInstanceOf(IOException.class);
    assertThat(channel.isOpen()).isFalse();
    assertThat(connection.isOpen()).isTrue();

    await().atMost(GENEROUS).until(() -> consumer.isConsuming() && consumer.channel() != channel);
    reportCounted("after-broker-close", 2);
  }

  @Test
  void consumesAgainAfterItsChannelIsClosedFromOutside() throws Exception {
    Channel channel = consumer.channel();
    channel.close();
    assertThat(consumer.isConsuming()).isFalse();

    await().atMost(GENEROUS).until(() -> consumer.isConsuming() && consumer.channel() != channel);
    reportCounted("after-outside-close", 2);
  }

  @Test
  void anotherConnectionDeclaresItsQueueAgainWhileItConsumes() throws Exception {
    // What connection recovery does after a fast reconnect while the broker still holds the old
    // connection: no 405 RESOURCE_LOCKED (which used to close the channel for good).
    Channel other = publisher.createChannel();
    other.queueDeclare(
        consumer.queue(),
        false,
        false,
        true,
        Map.of("x-queue-type", "classic", "x-expires", StatsConsumer.QUEUE_EXPIRES_MILLIS));
    other.queueBind(consumer.queue(), StatsCodec.EXCHANGE, "");
    other.close();

    assertThat(consumer.isConsuming()).isTrue();
    reportCounted("after-redeclare", 2);
  }

  @Test
  void consumesAgainAfterRepeatedLosses() throws Exception {
    for (int round = 1; round <= 3; round++) {
      Channel channel = consumer.channel();
      publishing.queueDelete(consumer.queue());
      await().atMost(GENEROUS).until(() -> consumer.isConsuming() && consumer.channel() != channel);
      reportCounted("round-" + round, 1 + round);
    }
  }

  @Test
  void staysStoppedOnceClosed() throws Exception {
    Channel channel = consumer.channel();
    String queue = consumer.queue();

    consumer.close();
    consumer.close();

    assertThat(consumer.isConsuming()).isFalse();
    assertThat(channel.isOpen()).isFalse();
    assertThat(consumer.channel()).isNull();
    // Auto-delete: gone with its only consumer.
    await()
        .atMost(GENEROUS)
        .untilAsserted(
            () -> {
              Channel probe = connection.createChannel(); // Closed by the broker's 404.
              assertThatThrownBy(() -> probe.queueDeclarePassive(queue))
                  .isInstanceOf(IOException.class);
            });
  }

  /** Publishes instance {@code instance} with 1 in flight; waits until the service counts it. */
  private void reportCounted(String instance, long expectedInFlight) throws Exception {
    AmqpMessage message =
        MessageSigner.NONE.sign(
            StatsCodec.encode(
                new InstanceStats(service, instance, 1, 16, 60_000), System.currentTimeMillis()),
            StatsCodec.EXCHANGE,
            "");
    publishing.basicPublish(StatsCodec.EXCHANGE, "", message.properties(), message.body());
    await().atMost(GENEROUS).until(() -> load.metric().orElse(-1) == expectedInFlight);
  }
}
