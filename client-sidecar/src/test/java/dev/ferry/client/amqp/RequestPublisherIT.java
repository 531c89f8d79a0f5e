package dev.ferry.client.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The publisher against a real broker: confirms, returns, and a channel the broker closes. */
class RequestPublisherIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void keepsPublishingAfterTheBrokerClosesItsChannel() throws Exception {
    String service = broker.newService("publisher");
    try (Connection connection = broker.newConnection()) {
      CompletableFuture<String> returned = new CompletableFuture<>();
      RequestPublisher publisher =
          new RequestPublisher(
              connection, QueueType.CLASSIC, (id, detail) -> returned.complete(id));
      publisher.start();
      try {
        RecordingOutcome toNowhere = new RecordingOutcome();
        publisher.publish(
            new RequestPublisher.Outgoing(
                "ferry.no-such-exchange", "x", null, message("lost"), toNowhere));
        assertThat(toNowhere.failure.get(10, TimeUnit.SECONDS))
            .isEqualTo(FerryError.BROKER_UNAVAILABLE);

        RecordingOutcome delivered = new RecordingOutcome();
        publisher.publish(RequestPublisher.Outgoing.request(service, message("kept"), delivered));

        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> ready(connection, Topology.requestQueue(service)) == 1);
        assertThat(delivered.failure).isNotDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.unconfirmed() == 0);
      } finally {
        publisher.close();
      }
    }
  }

  @Test
  void reportsAReturnedMessageByCorrelationId() throws Exception {
    try (Connection connection = broker.newConnection()) {
      CompletableFuture<String> returned = new CompletableFuture<>();
      RequestPublisher publisher =
          new RequestPublisher(
              connection, QueueType.CLASSIC, (id, detail) -> returned.complete(id));
      publisher.start();
      try {
        publisher.publish(
            new RequestPublisher.Outgoing(
                "", "ferry.req.no-such-queue", null, message("c-1"), new RecordingOutcome()));

        assertThat(returned.get(10, TimeUnit.SECONDS)).isEqualTo("c-1");
      } finally {
        publisher.close();
      }
    }
  }

  @Test
  void publishesNothingWhileTheBrokerBlocksTheConnectionAndResumesAfterwards() throws Exception {
    String service = broker.newService("blocked");
    AtomicReference<String> alarm = new AtomicReference<>("low on memory");
    try (Connection connection = broker.newConnection()) {
      RequestPublisher publisher =
          new RequestPublisher(
              connection, QueueType.CLASSIC, (id, detail) -> {}, alarm::get, MessageSigner.NONE);
      publisher.declare(service);
      publisher.start();
      try {
        RecordingOutcome refused = new RecordingOutcome();
        publisher.publish(RequestPublisher.Outgoing.request(service, message("r-1"), refused));
        assertThat(refused.failure.get(10, TimeUnit.SECONDS))
            .isEqualTo(FerryError.BROKER_UNAVAILABLE);
        assertThat(refused.detail).hasValue(RequestPublisher.alarmDetail("low on memory"));

        alarm.set(null);
        RecordingOutcome delivered = new RecordingOutcome();
        publisher.publish(RequestPublisher.Outgoing.request(service, message("r-2"), delivered));

        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> ready(connection, Topology.requestQueue(service)) == 1);
        assertThat(delivered.failure).isNotDone();
      } finally {
        publisher.close();
      }
    }
  }

  private static AmqpMessage message(String correlationId) {
    return new AmqpMessage(
        new AMQP.BasicProperties.Builder().correlationId(correlationId).build(), new byte[0]);
  }

  private static long ready(Connection connection, String queue) throws Exception {
    try (Channel channel = connection.createChannel()) {
      return channel.queueDeclarePassive(queue).getMessageCount();
    }
  }

  private static final class RecordingOutcome implements RequestPublisher.Outcome {
    final CompletableFuture<FerryError> failure = new CompletableFuture<>();
    final AtomicReference<String> detail = new AtomicReference<>();

    @Override
    public boolean wanted() {
      return true;
    }

    @Override
    public void failed(FerryError error, String detail) {
      this.detail.set(detail);
      failure.complete(error);
    }
  }
}
