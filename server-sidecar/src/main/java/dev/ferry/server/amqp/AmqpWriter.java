package dev.ferry.server.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.ConfirmTracker;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.MessageSigner;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every AMQP write of the server sidecar, on one thread ({@code ferry-amqp-writer}) that owns the
 * publishing channel: publishes with confirms (so {@code basicPublish}, which can block, never runs
 * on an event loop or a consumer thread) and runs acknowledgements. A publish's outcome is reported
 * once: confirmed, or failed (nacked, refused, or its channel lost).
 *
 * <p>Owns its channel. amqp-client's recovery brings the channel back after a connection loss, but
 * a channel-level error (the broker refusing one message, e.g. with 406) closes it for good: the
 * writer then opens a new one on its thread, at once and before its next publish, so a refused
 * message costs only the publishes that were unconfirmed on the old channel.
 */
public final class AmqpWriter implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(AmqpWriter.class);
  private static final long REOPEN_RETRY_MILLIS = 1_000;

  private final MessageSigner signer;
  private final Connection connection;
  private final ScheduledThreadPoolExecutor thread;
  private final AtomicLong returned = new AtomicLong();
  private final Consumer<String> onReturned;
  private final LongConsumer confirmNanos;
  private volatile Link link;
  private volatile boolean closed;
  private boolean reopenScheduled; // Writer thread only.

  /** What to do once the broker has (or has not) taken a published message. */
  public interface Confirmation {
    void confirmed();

    void failed(String reason);

    /** A confirmation from two callbacks. */
    static Confirmation of(Runnable confirmed, Consumer<String> failed) {
      return new Confirmation() {
        @Override
        public void confirmed() {
          confirmed.run();
        }

        @Override
        public void failed(String reason) {
          failed.accept(reason);
        }
      };
    }
  }

  /**
   * One channel in confirm mode and the publishes unconfirmed on it (sequence numbers are per
   * channel). {@code dead} once it closed for a reason that recovery does not repair.
   */
  private static final class Link {
    final Channel channel;
    final ConfirmTracker<Confirmation> unconfirmed;
    volatile boolean dead;

    Link(Channel channel, LongConsumer confirmNanos) {
      this.channel = channel;
      this.unconfirmed = new ConfirmTracker<>(confirmNanos);
    }
  }

  /** Opens the publishing channel on {@code connection}, which the caller keeps owning. */
  public AmqpWriter(Connection connection) throws IOException {
    this(connection, correlationId -> {}, MessageSigner.NONE);
  }

  /**
   * Opens the publishing channel on {@code connection}, which the caller keeps owning; {@code
   * onReturned} learns, on the writer thread, the correlation id of every message the broker
   * returned as unroutable (its reply queue is gone), before that message's confirmation. Every
   * message goes out signed by {@code signer}.
   */
  public AmqpWriter(Connection connection, Consumer<String> onReturned, MessageSigner signer)
      throws IOException {
    this(connection, onReturned, signer, nanos -> {});
  }

  /**
   * As above; {@code confirmNanos} hears, on amqp-client's connection thread, how long each publish
   * waited for the broker's confirm (ack or nack).
   */
  public AmqpWriter(
      Connection connection,
      Consumer<String> onReturned,
      MessageSigner signer,
      LongConsumer confirmNanos)
      throws IOException {
    this.confirmNanos = confirmNanos;
    this.signer = signer;
    this.connection = connection;
    this.onReturned = onReturned;
    this.thread =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t = new Thread(runnable, "ferry-amqp-writer");
              t.setDaemon(true);
              return t;
            });
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.link = open();
  }

  /**
   * Publishes {@code message} to queue {@code queue} (default exchange, mandatory). A message that
   * cannot even be encoded (e.g. a routing key over 255 bytes) fails alone.
   */
  public void publish(String queue, AmqpMessage message, Confirmation confirmation) {
    execute(() -> publishNow(queue, message, confirmation), confirmation);
  }

  /** Runs {@code action} (e.g. an ack on the consumer channel) on the writer thread. */
  public void execute(Runnable action) {
    execute(action, null);
  }

  /** True while the publishing channel is open; false while it is lost or being replaced. */
  public boolean isOpen() {
    return link.channel.isOpen();
  }

  /** Replies that the broker could not route (their caller's reply queue is gone). */
  public long returnedReplies() {
    return returned.get();
  }

  private void publishNow(String queue, AmqpMessage message, Confirmation confirmation) {
    // Signed before a sequence number is taken: nothing that goes wrong with one message may
    // touch the channel the others share.
    AmqpMessage signed = signer.sign(message, "", queue);
    Link current;
    try {
      current = usableLink();
    } catch (IOException e) {
      confirmation.failed(e.getMessage());
      return;
    }
    Channel channel = current.channel;
    long sequence = channel.getNextPublishSeqNo();
    current.unconfirmed.put(sequence, confirmation);
    try {
      channel.basicPublish("", queue, true, signed.properties(), signed.body());
    } catch (IOException | ShutdownSignalException e) {
      if (current.unconfirmed.remove(sequence) != null) {
        confirmation.failed("publish failed: " + e.getMessage());
      }
    } catch (RuntimeException e) {
      // amqp-client counted this publish before it failed to encode it, so the broker's sequence
      // numbers and ours now differ by one: only a new channel gets them aligned again.
      if (current.unconfirmed.remove(sequence) != null) {
        confirmation.failed("message cannot be sent: " + e.getMessage());
      }
      logger.warn(
          "could not encode a message, replacing the channel queue={} cause={}",
          queue,
          e.toString());
      current.dead = true;
      AmqpChannels.closeQuietly(channel);
    }
  }

  /**
   * The link to publish on: the current one, unless a channel-level error closed it for good, in
   * which case a new one is opened first. A channel closed by a connection loss is kept: recovery
   * brings it back.
   */
  private Link usableLink() throws IOException {
    Link current = link;
    if (!current.dead) {
      return current;
    }
    if (closed) {
      throw new IOException("writer closed");
    }
    try {
      Link fresh = open();
      // The broker closed the old channel; abort() takes it off amqp-client's recovery list,
      // which would otherwise reopen it on the next connection recovery.
      AmqpChannels.abort(current.channel);
      link = fresh;
      logger.info("publishing channel reopened channel={}", fresh.channel.getChannelNumber());
      return fresh;
    } catch (IOException | RuntimeException e) {
      scheduleReopen();
      throw new IOException("publishing channel lost, cannot open a new one: " + e.getMessage(), e);
    }
  }

  private Link open() throws IOException {
    Channel channel = connection.createChannel();
    if (channel == null) {
      throw new IOException("no free channel number");
    }
    Link opened = new Link(channel, confirmNanos);
    try {
      channel.confirmSelect();
    } catch (IOException | RuntimeException e) {
      AmqpChannels.closeQuietly(channel);
      throw e;
    }
    channel.addConfirmListener(confirmListener(opened.unconfirmed));
    channel.addReturnListener(
        r -> {
          returned.incrementAndGet();
          String correlationId = r.getProperties().getCorrelationId();
          logger.debug(
              "reply unroutable, caller gone queue={} correlationId={}",
              r.getRoutingKey(),
              correlationId);
          if (correlationId != null) {
            // Queued ahead of the message's confirmation, which the broker sends after the return.
            execute(() -> onReturned.accept(correlationId));
          }
        });
    channel.addShutdownListener(cause -> channelLost(opened, cause));
    return opened;
  }

  /** Replaces a dead channel even when nothing is being published (readiness reports it). */
  private void reopen() {
    try {
      usableLink();
    } catch (IOException e) {
      logger.debug("reopening the publishing channel failed cause={}", e.getMessage());
    }
  }

  private void scheduleReopen() {
    if (reopenScheduled || closed) {
      return;
    }
    reopenScheduled = true;
    try {
      thread.schedule(
          () -> {
            reopenScheduled = false;
            reopen();
          },
          REOPEN_RETRY_MILLIS,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      reopenScheduled = false;
    }
  }

  private void execute(Runnable action, Confirmation onRejected) {
    try {
      thread.execute(
          () -> {
            try {
              action.run();
            } catch (RuntimeException e) {
              logger.warn("amqp write failed", e);
            }
          });
    } catch (RejectedExecutionException e) {
      if (onRejected != null) {
        onRejected.failed("writer closed");
      }
    }
  }

  private ConfirmListener confirmListener(ConfirmTracker<Confirmation> unconfirmed) {
    return new ConfirmListener() {
      @Override
      public void handleAck(long deliveryTag, boolean multiple) {
        for (Confirmation confirmation : unconfirmed.take(deliveryTag, multiple)) {
          execute(confirmation::confirmed);
        }
      }

      @Override
      public void handleNack(long deliveryTag, boolean multiple) {
        for (Confirmation confirmation : unconfirmed.take(deliveryTag, multiple)) {
          execute(() -> confirmation.failed("broker nacked"));
        }
      }
    };
  }

  /**
   * On amqp-client's thread: fails what was unconfirmed on the channel, and replaces it if dead.
   */
  private void channelLost(Link lost, ShutdownSignalException cause) {
    if (!cause.isHardError()) {
      // Recovery repairs connection losses only; a channel closed on its own stays closed.
      lost.dead = true;
      if (!closed) {
        if (!cause.isInitiatedByApplication()) {
          logger.warn(
              "broker closed the publishing channel, reopening it cause={}", describe(cause));
        }
        execute(this::reopen);
      }
    }
    for (Confirmation confirmation : lost.unconfirmed.takeAll()) {
      execute(() -> confirmation.failed("channel lost: " + describe(cause)));
    }
  }

  private static String describe(ShutdownSignalException cause) {
    return cause.getReason() instanceof AMQP.Channel.Close close
        ? close.getReplyCode() + " " + close.getReplyText()
        : cause.getMessage();
  }

  /** Runs what is queued (at most 5 s), then closes the channel. Idempotent. */
  @Override
  public void close() {
    closed = true;
    thread.shutdown();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    AmqpChannels.closeQuietly(link.channel);
  }
}
