package dev.ferry.scaler.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.scaler.load.Loads;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the server sidecars' in-flight reports (PROTOCOL.md section 17): declares the durable
 * fanout exchange {@value StatsCodec#EXCHANGE} and binds a queue of its own to it ({@code
 * ferry.scaler.<instance>}: classic, auto-delete, expiring after {@value #QUEUE_EXPIRES_MILLIS} ms
 * unused; not exclusive, so that a fast reconnect, while the broker still holds the old connection,
 * declares it again rather than meeting an exclusive lock), consumes with automatic acknowledgement
 * and hands each report to {@link Loads}. A report whose signature (with {@code
 * --signing-key-file}) or format is wrong is dropped and counted. Owns its channel; reports arrive
 * on amqp-client's consumer thread.
 *
 * <p>Keeps consuming on its own: when the broker cancels the consumer (the queue was deleted) or
 * the channel closes while the connection stays up, it is not consuming (readiness says so) until a
 * thread of its own ({@code ferry-stats}) has aborted the old channel (which amqp-client's recovery
 * then forgets), declared, bound and consumed anew on a new channel, retrying every second.
 */
public final class StatsConsumer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(StatsConsumer.class);
  private static final long RESTART_RETRY_MILLIS = 1_000;

  /** Prefix of a scaler instance's stats queue. */
  public static final String QUEUE_PREFIX = "ferry.scaler.";

  /** The stats queue's {@code x-expires}: the broker deletes it once unused for this long. */
  public static final int QUEUE_EXPIRES_MILLIS = 60_000;

  private static final Map<String, Object> QUEUE_ARGUMENTS =
      Map.of("x-queue-type", "classic", "x-expires", QUEUE_EXPIRES_MILLIS);

  private final Connection connection;
  private final Loads loads;
  private final MessageSigner signer;
  private final ScheduledExecutorService restarter;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final Object lock = new Object();
  private final String queue = QUEUE_PREFIX + Ids.random128();
  private volatile Channel channel;
  private volatile Subscription subscription;
  private volatile boolean closed;

  private StatsConsumer(Connection connection, Loads loads, MessageSigner signer) {
    this.connection = connection;
    this.loads = loads;
    this.signer = signer;
    this.restarter =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-stats");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Declares, binds and starts consuming on a new channel of {@code connection}. */
  public static StatsConsumer start(Connection connection, Loads loads, MessageSigner signer)
      throws IOException {
    StatsConsumer consumer = new StatsConsumer(connection, loads, signer);
    try {
      consumer.subscribe();
    } catch (IOException | RuntimeException e) {
      consumer.close();
      throw e;
    }
    return consumer;
  }

  /**
   * Declares, binds and consumes on a new channel, which becomes the current one only once it
   * consumes: a failure on the way leaves the retrying to the caller.
   */
  private void subscribe() throws IOException {
    Channel fresh = connection.createChannel();
    if (fresh == null) {
      throw new IOException("no free channel number");
    }
    Subscription consumer = new Subscription(fresh);
    try {
      fresh.exchangeDeclare(StatsCodec.EXCHANGE, "fanout", true);
      fresh.queueDeclare(queue, false, false, true, QUEUE_ARGUMENTS);
      fresh.queueBind(queue, StatsCodec.EXCHANGE, "");
      fresh.basicConsume(queue, true, consumer);
    } catch (IOException | RuntimeException e) {
      abortQuietly(fresh);
      throw e;
    }
    synchronized (lock) {
      if (closed) {
        abortQuietly(fresh);
        return;
      }
      channel = fresh;
      subscription = consumer;
    }
    // Runs at once if the channel closed meanwhile.
    fresh.addShutdownListener(cause -> channelLost(fresh, cause));
    logger.info("listening to in-flight reports exchange={} queue={}", StatsCodec.EXCHANGE, queue);
  }

  /** One registration of the consumer on one channel. */
  private final class Subscription extends DefaultConsumer {
    private volatile boolean cancelled;

    Subscription(Channel channel) {
      super(channel);
    }

    @Override
    public void handleDelivery(
        String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      accept(properties, body);
    }

    @Override
    public void handleCancel(String consumerTag) {
      cancelled = true;
      if (!closed) {
        logger.warn(
            "broker cancelled the in-flight report consumer, consuming again queue={}", queue);
        restartLater(0);
      }
    }
  }

  /** On amqp-client's thread: a channel closed for good is replaced, unless closed. */
  private void channelLost(Channel lost, ShutdownSignalException cause) {
    if (cause.isHardError() || closed || lost != channel) {
      return; // Recovery repairs a connection loss, consumer included.
    }
    logger.warn(
        "in-flight report channel closed, consuming again queue={} cause={}",
        queue,
        cause.getMessage());
    restartLater(0);
  }

  private void restartLater(long delayMillis) {
    try {
      restarter.schedule(this::restart, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  /** On the restart thread: drops the old channel, then consumes on a new one, or retries. */
  private void restart() {
    if (closed || isConsuming()) {
      return;
    }
    Channel old;
    synchronized (lock) {
      old = channel;
      channel = null;
      subscription = null;
    }
    if (old != null) {
      // Also unregisters it (and its consumer, queue and binding) from connection recovery.
      abortQuietly(old);
    }
    try {
      subscribe();
    } catch (IOException | RuntimeException e) {
      logger.debug("consuming in-flight reports again failed, retrying cause={}", e.toString());
      restartLater(RESTART_RETRY_MILLIS);
    }
  }

  private static void abortQuietly(Channel channel) {
    try {
      channel.abort();
    } catch (IOException | RuntimeException e) {
      logger.debug("aborting channel failed cause={}", e.toString());
    }
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

  /** True while the consumer is registered and its channel open. */
  public boolean isConsuming() {
    Subscription current = subscription;
    return current != null && !current.cancelled && current.getChannel().isOpen();
  }

  /** The stats queue's name. */
  String queue() {
    return queue;
  }

  /** The current consuming channel, or null between a loss and the restart. */
  Channel channel() {
    return channel;
  }

  public long received() {
    return received.get();
  }

  /** Reports dropped for a bad signature or format. */
  public long rejected() {
    return rejected.get();
  }

  /** Stops restarting and closes the channel; the broker then deletes the queue. Idempotent. */
  @Override
  public void close() {
    Channel current;
    synchronized (lock) {
      closed = true;
      current = channel;
      channel = null;
      subscription = null;
    }
    restarter.shutdownNow();
    if (current != null) {
      AmqpChannels.closeQuietly(current);
    }
  }
}
