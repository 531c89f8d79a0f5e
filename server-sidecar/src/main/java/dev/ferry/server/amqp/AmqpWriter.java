package dev.ferry.server.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.ConfirmTracker;
import dev.ferry.protocol.AmqpMessage;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every AMQP write of the server sidecar, on one thread that owns the publishing channel: publishes
 * with confirms (so {@code basicPublish}, which can block, never runs on an event loop or a
 * consumer thread) and runs acknowledgements. A publish's outcome is reported once: confirmed, or
 * failed (nacked, or its channel lost).
 */
public final class AmqpWriter implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(AmqpWriter.class);

  private final Channel channel;
  private final ExecutorService thread;
  private final ConfirmTracker<Confirmation> unconfirmed = new ConfirmTracker<>();
  private final AtomicLong returned = new AtomicLong();

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

  public AmqpWriter(Connection connection) throws IOException {
    this.channel = connection.createChannel();
    channel.confirmSelect();
    channel.addConfirmListener(confirmListener());
    channel.addReturnListener(
        r -> {
          returned.incrementAndGet();
          logger.debug("reply unroutable, caller gone queue={}", r.getRoutingKey());
        });
    channel.addShutdownListener(this::channelLost);
    this.thread =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread t = new Thread(runnable, "ferry-amqp-writer");
              t.setDaemon(true);
              return t;
            });
  }

  /** Publishes {@code message} to queue {@code queue} (default exchange, mandatory). */
  public void publish(String queue, AmqpMessage message, Confirmation confirmation) {
    execute(
        () -> {
          long sequence = channel.getNextPublishSeqNo();
          unconfirmed.put(sequence, confirmation);
          try {
            channel.basicPublish("", queue, true, message.properties(), message.body());
          } catch (IOException | ShutdownSignalException e) {
            if (unconfirmed.remove(sequence) != null) {
              confirmation.failed("publish failed: " + e.getMessage());
            }
          }
        },
        confirmation);
  }

  /** Runs {@code action} (e.g. an ack on the consumer channel) on the writer thread. */
  public void execute(Runnable action) {
    execute(action, null);
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
    } catch (java.util.concurrent.RejectedExecutionException e) {
      if (onRejected != null) {
        onRejected.failed("writer closed");
      }
    }
  }

  /** Replies that the broker could not route (their caller's reply queue is gone). */
  public long returnedReplies() {
    return returned.get();
  }

  private ConfirmListener confirmListener() {
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

  private void channelLost(ShutdownSignalException cause) {
    for (Confirmation confirmation : unconfirmed.takeAll()) {
      execute(() -> confirmation.failed("channel lost: " + cause.getMessage()));
    }
  }

  /** Runs what is queued, then closes the channel. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    AmqpChannels.closeQuietly(channel);
  }
}
