package dev.ferry.server.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a server sidecar tells the scaler, heard from a queue bound to the stats exchange. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatsPublisherIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static final MessageSigner SIGNER =
      MessageSigner.of(List.of("a-key-of-at-least-16-bytes".getBytes(StandardCharsets.UTF_8)));

  @Test
  void reportsEverySecondAtOnceWhenTheCountTurnsAndLastThatTheInstanceIsGone() throws Exception {
    String service = broker.newService("stats");
    AtomicInteger inFlight = new AtomicInteger();
    try (Connection connection = broker.newConnection()) {
      BlockingQueue<InstanceStats> reports = listen(connection, service);
      StatsPublisher publisher =
          StatsPublisher.start(connection, service, 16, inFlight::get, () -> false, SIGNER);

      InstanceStats first = next(reports);
      assertThat(first).isEqualTo(new InstanceStats(service, publisher.instance(), 0, 16, 3_000));
      assertThat(next(reports).inFlight()).isZero(); // The periodic report.

      // Right after a periodic report: the next one is a second away, the turn comes sooner.
      inFlight.set(2);
      long setAt = System.nanoTime();
      InstanceStats turned = next(reports);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - setAt);
      assertThat(turned.inFlight()).isEqualTo(2);
      assertThat(tookMillis).isLessThan(StatsPublisher.INTERVAL_MILLIS);
      inFlight.set(0);
      assertThat(next(reports).inFlight()).isZero();

      publisher.close();

      InstanceStats last = next(reports);
      assertThat(last.gone()).isTrue();
      assertThat(last.instance()).isEqualTo(publisher.instance());
      publisher.close(); // Idempotent.
    }
  }

  /** Signed reports of {@code service} published to the stats exchange, as the scaler gets them. */
  private static BlockingQueue<InstanceStats> listen(Connection connection, String service)
      throws Exception {
    Channel channel = connection.createChannel();
    channel.exchangeDeclare(StatsCodec.EXCHANGE, "fanout", true);
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, StatsCodec.EXCHANGE, "");
    BlockingQueue<InstanceStats> reports = new LinkedBlockingQueue<>();
    channel.basicConsume(
        queue,
        true,
        (tag, delivery) -> {
          try {
            SIGNER.verify(delivery.getProperties(), delivery.getBody(), StatsCodec.EXCHANGE, "");
            InstanceStats stats = StatsCodec.decode(delivery.getProperties());
            if (stats.service().equals(service)) {
              reports.add(stats);
            }
          } catch (MalformedMessageException e) {
            // Another test's sidecar, with another key.
          }
        },
        tag -> {});
    return reports;
  }

  private static InstanceStats next(BlockingQueue<InstanceStats> reports)
      throws InterruptedException {
    InstanceStats report = reports.poll(10, TimeUnit.SECONDS);
    assertThat(report).as("a report within 10 s").isNotNull();
    return report;
  }
}
