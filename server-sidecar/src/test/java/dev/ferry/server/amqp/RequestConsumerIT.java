package dev.ferry.server.amqp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.common.AmqpConnector;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.OwnedBroker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RequestConsumer} on a RabbitMQ node of the test's own ({@link OwnedBroker}), which it
 * stops and starts, over the same self-recovering connection as production. The handler settles
 * nothing by itself: what it was handed and has not settled is what the sidecar runs.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RequestConsumerIT {
  private static final int CONCURRENCY = 2;
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  @RegisterExtension static final OwnedBroker broker = new OwnedBroker();

  private final String service =
      "consumer-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  private final String queue = Topology.requestQueue(service);
  private final AtomicInteger intake = new AtomicInteger(CONCURRENCY);
  private final List<Delivery> handed = new CopyOnWriteArrayList<>();
  private AmqpConnector connector;
  private AmqpWriter writer;
  private RequestConsumer consumer;

  @BeforeEach
  void setUp() throws Exception {
    connector = new AmqpConnector(broker.uri(), "ferry-consumer-test");
    Connection connection = connector.connect();
    Topologies.declareRequestQueue(connection, service, QueueType.CLASSIC);
    writer = new AmqpWriter(connection);
    consumer = new RequestConsumer(connection, service, QueueType.CLASSIC, CONCURRENCY, writer);
    consumer.intake(intake::get);
    consumer.start(handed::add);
    await().atMost(Duration.ofSeconds(10)).until(consumer::isConsuming);
  }

  @AfterEach
  void tearDown() throws Exception {
    consumer.stop(0);
    writer.close();
    consumer.close();
    connector.close();
    try (Connection test = broker.newConnection()) {
      test.createChannel().queueDelete(queue);
    }
  }

  @Test
  void aConsumerPausedWhileTheConnectionIsDownStaysCancelledAfterTheRecovery() throws Exception {
    broker.stopApp();
    await().atMost(Duration.ofSeconds(30)).until(() -> !connector.isConnected());
    intake.set(0); // The circuit opened meanwhile.
    consumer.intakeChanged();
    writerDone();

    broker.startApp();
    await().atMost(Duration.ofSeconds(60)).until(() -> connector.recoveries() == 1);

    assertThat(consumers()).as("consumers after the recovery").isZero();
    publish(3);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(() -> assertThat(handed).as("requests taken while paused").isEmpty());

    intake.set(CONCURRENCY); // The circuit closed.
    consumer.intakeChanged();
    await().atMost(Duration.ofSeconds(10)).until(() -> handed.size() == CONCURRENCY);
    assertThat(consumers()).as("consumers once taking requests again").isEqualTo(1);

    consumer.stop();
    assertThat(consumers()).as("consumers after stop").isZero();
  }

  @Test
  void neverRunsMoreThanItsConcurrencyWhenItConsumesAgainWhileRequestsRun() throws Exception {
    publish(3 * CONCURRENCY);
    await().atMost(Duration.ofSeconds(10)).until(() -> handed.size() == CONCURRENCY);

    intake.set(0); // The circuit opened: the consumer is cancelled, its requests still run.
    consumer.intakeChanged();
    await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.isConsuming());
    intake.set(CONCURRENCY); // ...and closed again before they ended.
    consumer.intakeChanged();
    await().atMost(Duration.ofSeconds(10)).until(consumer::isConsuming);

    // The new consumer's deliveries wait for a place instead of running beside the old ones.
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(() -> assertThat(handed).as("requests running").hasSize(CONCURRENCY));
    handed.get(0).ack();
    await().atMost(Duration.ofSeconds(10)).until(() -> handed.size() == CONCURRENCY + 1);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(3))
        .untilAsserted(() -> assertThat(handed).as("requests handed on").hasSize(CONCURRENCY + 1));
  }

  /** Returns once the writer thread has run what was queued on it before. */
  private void writerDone() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.execute(() -> done.complete(null));
    done.get(10, TimeUnit.SECONDS);
  }

  private void publish(int count) throws Exception {
    // A connection of the test's own: the broker restarts close it.
    try (Connection test = broker.newConnection()) {
      Channel channel = test.createChannel();
      channel.confirmSelect();
      for (int i = 0; i < count; i++) {
        channel.basicPublish("", queue, null, ("request " + i).getBytes(UTF_8));
      }
      channel.waitForConfirmsOrDie(10_000);
    }
  }

  private long consumers() throws Exception {
    try (Connection test = broker.newConnection()) {
      return test.createChannel().queueDeclarePassive(queue).getConsumerCount();
    }
  }
}
