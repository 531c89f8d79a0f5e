package dev.ferry.client.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.ConfirmTracker;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes requests with the {@code mandatory} flag and publisher confirms, many in flight at
 * once. Owns one channel and the one thread that publishes on it, so {@code basicPublish} (which
 * can block) never runs on a caller's or an event loop's thread. Declares a service's request queue
 * before its first request, so that requests wait in the queue until a server sidecar comes.
 *
 * <p>A request whose publish fails, is refused by the broker (nack), or cannot be routed (returned)
 * ends its call at once with a sidecar error; so does every unconfirmed request when the channel is
 * lost.
 */
public final class RequestPublisher implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RequestPublisher.class);
  private static final int BATCH = 256;
  private static final Outgoing STOP = new Outgoing("", null, null);

  private final Connection connection;
  private final Channel channel;
  private final QueueType queueType;
  private final PendingCalls pending;
  private final BlockingQueue<Outgoing> queue = new LinkedBlockingQueue<>();
  private final ConfirmTracker<PendingCall> unconfirmed = new ConfirmTracker<>();
  private final Set<String> declared = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile boolean closed;

  /** A request to publish to {@code service}'s queue on behalf of {@code call}. */
  public record Outgoing(String service, AmqpMessage message, PendingCall call) {}

  public RequestPublisher(Connection connection, QueueType queueType, PendingCalls pending)
      throws IOException {
    this.connection = connection;
    this.queueType = queueType;
    this.pending = pending;
    this.channel = connection.createChannel();
    channel.confirmSelect();
    channel.addConfirmListener(confirmListener());
    channel.addReturnListener(this::returned);
    channel.addShutdownListener(this::channelLost);
    this.thread = new Thread(this::run, "ferry-publisher");
    thread.setDaemon(true);
    thread.start();
  }

  /** Declares {@code service}'s request queue now, instead of before its first request. */
  public void declare(String service) throws IOException {
    if (!declared.contains(service)) {
      Topology.declareRequestQueue(connection, service, queueType);
      declared.add(service);
    }
  }

  /** Hands a request to the publishing thread; never blocks. */
  public void publish(Outgoing outgoing) {
    if (closed) {
      pending.fail(outgoing.call().correlationId(), FerryError.SHUTTING_DOWN, "client is closing");
      return;
    }
    queue.add(outgoing);
  }

  /** Requests published but not yet confirmed by the broker. */
  public int unconfirmed() {
    return unconfirmed.size();
  }

  private void run() {
    List<Outgoing> batch = new ArrayList<>(BATCH);
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, BATCH - 1);
        for (Outgoing outgoing : batch) {
          if (outgoing == STOP) {
            return;
          }
          send(outgoing);
        }
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (Outgoing outgoing : batch) {
        failUnsent(outgoing);
      }
      Outgoing left;
      while ((left = queue.poll()) != null) {
        failUnsent(left);
      }
    }
  }

  private void send(Outgoing outgoing) {
    PendingCall call = outgoing.call();
    if (call.isDone()) {
      return; // Timed out while waiting to be published: nobody wants the answer.
    }
    long sequence = -1;
    try {
      declare(outgoing.service());
      sequence = channel.getNextPublishSeqNo();
      unconfirmed.put(sequence, call);
      AmqpMessage message = outgoing.message();
      channel.basicPublish(
          "",
          Topology.requestQueue(outgoing.service()),
          true,
          message.properties(),
          message.body());
    } catch (IOException | ShutdownSignalException e) {
      if (sequence >= 0) {
        unconfirmed.remove(sequence);
      }
      logger.debug("publish failed correlationId={}", call.correlationId(), e);
      pending.fail(
          call.correlationId(), FerryError.BROKER_UNAVAILABLE, "could not publish the request");
    }
  }

  private void failUnsent(Outgoing outgoing) {
    if (outgoing != STOP) {
      pending.fail(outgoing.call().correlationId(), FerryError.SHUTTING_DOWN, "client is closing");
    }
  }

  private ConfirmListener confirmListener() {
    return new ConfirmListener() {
      @Override
      public void handleAck(long deliveryTag, boolean multiple) {
        unconfirmed.take(deliveryTag, multiple);
      }

      @Override
      public void handleNack(long deliveryTag, boolean multiple) {
        for (PendingCall call : unconfirmed.take(deliveryTag, multiple)) {
          pending.fail(
              call.correlationId(),
              FerryError.BROKER_UNAVAILABLE,
              "the broker refused the request");
        }
      }
    };
  }

  private void returned(Return returned) {
    AMQP.BasicProperties properties = returned.getProperties();
    String correlationId = properties == null ? null : properties.getCorrelationId();
    if (correlationId != null) {
      pending.fail(
          correlationId,
          FerryError.NO_ROUTE,
          "no queue " + returned.getRoutingKey() + " (" + returned.getReplyText() + ")");
    }
  }

  private void channelLost(ShutdownSignalException cause) {
    List<PendingCall> lost = unconfirmed.takeAll();
    if (!lost.isEmpty() && !closed) {
      logger.warn(
          "publisher channel lost, failing unconfirmed requests count={} cause={}",
          lost.size(),
          cause.getMessage());
    }
    for (PendingCall call : lost) {
      pending.fail(call.correlationId(), FerryError.BROKER_UNAVAILABLE, "broker connection lost");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(STOP);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    AmqpChannels.closeQuietly(channel);
  }
}
