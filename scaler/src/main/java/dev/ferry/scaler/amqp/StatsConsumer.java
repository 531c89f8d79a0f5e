package dev.ferry.scaler.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.ferry.common.AmqpChannels;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.scaler.load.Loads;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the server sidecars' in-flight reports (PROTOCOL.md section 17): declares the durable
 * fanout exchange {@value StatsCodec#EXCHANGE} and binds a queue of its own to it ({@code
 * ferry.scaler.<instance>}: exclusive, auto-delete, recovered with the connection), consumes with
 * automatic acknowledgement and hands each report to {@link Loads}. A report whose signature (with
 * {@code --signing-key-file}) or format is wrong is dropped and counted. Owns its channel; reports
 * arrive on amqp-client's consumer thread.
 */
public final class StatsConsumer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(StatsConsumer.class);

  /** Prefix of a scaler instance's stats queue. */
  public static final String QUEUE_PREFIX = "ferry.scaler.";

  private final Channel channel;
  private final String queue = QUEUE_PREFIX + Ids.random128();
  private final Loads loads;
  private final MessageSigner signer;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  private StatsConsumer(Channel channel, Loads loads, MessageSigner signer) {
    this.channel = channel;
    this.loads = loads;
    this.signer = signer;
  }

  /** Declares, binds and starts consuming on a new channel of {@code connection}. */
  public static StatsConsumer start(Connection connection, Loads loads, MessageSigner signer)
      throws IOException {
    Channel channel = connection.createChannel();
    if (channel == null) {
      throw new IOException("no free channel number");
    }
    StatsConsumer consumer = new StatsConsumer(channel, loads, signer);
    try {
      consumer.consume();
    } catch (IOException | RuntimeException e) {
      AmqpChannels.closeQuietly(channel);
      throw e;
    }
    return consumer;
  }

  private void consume() throws IOException {
    channel.exchangeDeclare(StatsCodec.EXCHANGE, "fanout", true);
    channel.queueDeclare(queue, false, true, true, Map.of("x-queue-type", "classic"));
    channel.queueBind(queue, StatsCodec.EXCHANGE, "");
    channel.basicConsume(
        queue,
        true,
        new DefaultConsumer(channel) {
          @Override
          public void handleDelivery(
              String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            accept(properties, body);
          }
        });
    logger.info("listening to in-flight reports exchange={} queue={}", StatsCodec.EXCHANGE, queue);
  }

  private void accept(AMQP.BasicProperties properties, byte[] body) {
    received.incrementAndGet();
    InstanceStats stats;
    try {
      signer.verify(properties, body, StatsCodec.EXCHANGE, "");
      stats = StatsCodec.decode(properties);
    } catch (MalformedMessageException e) {
      if (rejected.incrementAndGet() == 1) {
        logger.warn(
            "dropped a bad in-flight report (counted from now on) problem={}", e.getMessage());
      } else {
        logger.debug("dropped a bad in-flight report problem={}", e.getMessage());
      }
      return;
    }
    logger.debug(
        "in-flight report service={} instance={} in_flight={} concurrency={} expires_ms={}",
        stats.service(),
        stats.instance(),
        stats.inFlight(),
        stats.concurrency(),
        stats.expiresMillis());
    loads.report(stats);
  }

  /** True while the consuming channel is open. */
  public boolean isConsuming() {
    return channel.isOpen();
  }

  public long received() {
    return received.get();
  }

  /** Reports dropped for a bad signature or format. */
  public long rejected() {
    return rejected.get();
  }

  /** Closes the channel; the broker then deletes the queue. Idempotent. */
  @Override
  public void close() {
    AmqpChannels.closeQuietly(channel);
  }
}
