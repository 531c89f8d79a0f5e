package dev.ferry.server.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code ferry.req.<service>} with manual acks and a prefetch of {@code concurrency}, and
 * hands each delivery on at once. Owns the consuming channel; acks and requeues are written through
 * the {@link AmqpWriter}'s thread.
 */
public final class RequestConsumer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RequestConsumer.class);

  private final Channel channel;
  private final AmqpWriter writer;
  private final String queue;
  private volatile String consumerTag;

  public RequestConsumer(Connection connection, String service, int concurrency, AmqpWriter writer)
      throws IOException {
    this.queue = Topology.requestQueue(service);
    this.writer = writer;
    this.channel = connection.createChannel();
    channel.basicQos(concurrency);
  }

  /** Starts consuming; every delivery goes to {@code handler} on a consumer thread. */
  public void start(Consumer<Delivery> handler) throws IOException {
    consumerTag =
        channel.basicConsume(
            queue,
            false,
            new DefaultConsumer(channel) {
              @Override
              public void handleDelivery(
                  String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
                long deliveryTag = envelope.getDeliveryTag();
                handler.accept(
                    new Delivery(
                        properties,
                        body,
                        envelope.isRedeliver(),
                        System.currentTimeMillis(),
                        settler(deliveryTag)));
              }

              @Override
              public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
                logger.debug("request consumer stopped cause={}", sig.getMessage());
              }
            });
    logger.info("consuming queue={}", queue);
  }

  private Delivery.Settler settler(long deliveryTag) {
    return new Delivery.Settler() {
      @Override
      public void ack() {
        writer.execute(() -> settle(deliveryTag, true));
      }

      @Override
      public void requeue() {
        writer.execute(() -> settle(deliveryTag, false));
      }
    };
  }

  private void settle(long deliveryTag, boolean ack) {
    try {
      if (ack) {
        channel.basicAck(deliveryTag, false);
      } else {
        channel.basicNack(deliveryTag, false, true);
      }
    } catch (IOException | ShutdownSignalException e) {
      // The channel is gone: the broker redelivers the request to another consumer.
      logger.debug("settling delivery failed tag={} cause={}", deliveryTag, e.getMessage());
    }
  }

  /** True while the channel is open and the consumer registered. */
  public boolean isConsuming() {
    return consumerTag != null && channel.isOpen();
  }

  /**
   * Stops new deliveries (on the writer thread, the channel's one writer); those already delivered
   * can still be settled.
   */
  public void stop() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    writer.execute(
        () -> {
          String tag = consumerTag;
          consumerTag = null;
          try {
            if (tag != null && channel.isOpen()) {
              channel.basicCancel(tag);
            }
          } catch (IOException | ShutdownSignalException e) {
            logger.debug("cancelling consumer failed", e);
          } finally {
            done.complete(null);
          }
        });
    done.orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
  }

  /** Closes the channel: requests not yet acked go back to the queue. */
  @Override
  public void close() {
    AmqpChannels.closeQuietly(channel);
  }
}
