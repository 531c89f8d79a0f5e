package dev.ferry.client.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.ConfirmTracker;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes messages with the {@code mandatory} flag and publisher confirms, many in flight at
 * once. Owns its channel and the one thread that publishes on it, so {@code basicPublish} (which
 * can block) never runs on a caller's or an event loop's thread. Declares a service's request queue
 * before its first request, so that requests wait in the queue until a server sidecar comes.
 *
 * <p>A message whose publish fails, is refused by the broker (nack), or cannot be routed (returned)
 * is reported to its {@link Outcome} at once; so is every unconfirmed message when the channel is
 * lost. A channel the broker closed for a channel-level error is replaced before the next publish.
 *
 * <p>While the broker blocks the connection (a memory or disk alarm), nothing is published: the
 * broker would not read it, and a large publish would hold this thread in a socket write until the
 * alarm clears. Each message then fails at once with {@code broker-unavailable}; it was never sent,
 * so its caller may safely send it again. What was written before the broker said so waits in the
 * broker until the alarm clears (its call ends by its deadline meanwhile).
 */
public final class RequestPublisher implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(RequestPublisher.class);
  private static final int BATCH = 256;
  private static final Outgoing STOP = new Outgoing("", "", null, null, null);

  private final MessageSigner signer;
  private final Connection connection;
  private final QueueType queueType;
  private final Returns returns;
  private final Supplier<String> brokerAlarm;
  private final LongConsumer confirmNanos;
  private final BlockingQueue<Outgoing> queue = new LinkedBlockingQueue<>();
  private final Set<String> declared = ConcurrentHashMap.newKeySet();
  private final Queue<Outgoing> held = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile Lane lane;
  private volatile boolean closed;

  /** Who hears that a publish did not reach its queue. */
  public interface Outcome {
    /** False when nobody waits for this message any more (its call ended): it is not sent. */
    boolean wanted();

    /** The message was not sent, was refused by the broker, or was lost with the channel. */
    void failed(FerryError error, String detail);
  }

  /** Who hears that the broker returned a message (no queue to route it to), by correlation id. */
  public interface Returns {
    void returned(String correlationId, String detail);
  }

  /**
   * A message to publish to {@code exchange} with {@code routingKey}; when {@code service} is not
   * null, that service's request queue is declared first.
   */
  public record Outgoing(
      String exchange, String routingKey, String service, AmqpMessage message, Outcome outcome) {

    /** A request for {@code service}'s queue. */
    public static Outgoing request(String service, AmqpMessage message, Outcome outcome) {
      return new Outgoing("", Topology.requestQueue(service), service, message, outcome);
    }

    /** A message straight to {@code queue} (default exchange). */
    public static Outgoing toQueue(String queue, AmqpMessage message, Outcome outcome) {
      return new Outgoing("", queue, null, message, outcome);
    }
  }

  public RequestPublisher(Connection connection, QueueType queueType, Returns returns)
      throws IOException {
    this(connection, queueType, returns, () -> null, MessageSigner.NONE);
  }

  /**
   * A publisher that publishes nothing while {@code brokerAlarm} names a broker resource alarm
   * (null: none); see the class comment. Every message goes out signed by {@code signer}.
   */
  public RequestPublisher(
      Connection connection,
      QueueType queueType,
      Returns returns,
      Supplier<String> brokerAlarm,
      MessageSigner signer)
      throws IOException {
    this(connection, queueType, returns, brokerAlarm, signer, nanos -> {});
  }

  /**
   * As above; {@code confirmNanos} hears, on amqp-client's connection thread, how long each publish
   * waited for the broker's confirm (ack or nack).
   */
  public RequestPublisher(
      Connection connection,
      QueueType queueType,
      Returns returns,
      Supplier<String> brokerAlarm,
      MessageSigner signer,
      LongConsumer confirmNanos)
      throws IOException {
    this.confirmNanos = confirmNanos;
    this.signer = signer;
    this.connection = connection;
    this.queueType = queueType;
    this.returns = returns;
    this.brokerAlarm = brokerAlarm;
    this.lane = new Lane();
    this.thread = new Thread(this::run, "ferry-publisher");
    thread.setDaemon(true);
  }

  /** Starts the publishing thread. */
  public void start() {
    thread.start();
  }

  /**
   * Declares {@code service}'s request queue and control exchange now, instead of before its first
   * request.
   */
  public void declare(String service) throws IOException {
    if (!declared.contains(service)) {
      Topologies.declareRequestQueue(connection, service, queueType);
      Topologies.declareControlExchange(connection, service);
      declared.add(service);
    }
  }

  /** Forgets which queues were declared (after a broker restart they are declared again). */
  public void forgetDeclarations() {
    declared.clear();
  }

  /** The detail of a {@code broker-unavailable} refusal during a broker resource alarm. */
  public static String alarmDetail(String reason) {
    return "broker resource alarm (" + reason + "), retry later";
  }

  /** Hands a message to the publishing thread; never blocks. */
  public void publish(Outgoing outgoing) {
    if (closed) {
      outgoing.outcome().failed(FerryError.SHUTTING_DOWN, "client is closing");
      return;
    }
    queue.add(outgoing);
  }

  /** Messages published but not yet confirmed by the broker. */
  public int unconfirmed() {
    return lane.unconfirmed.size();
  }

  /**
   * One publishing channel and what it has not had confirmed yet. amqp-client recovers a channel
   * lost with its connection, but not one the broker closed for a channel-level error (e.g. a
   * message over its size limit): the publishing thread replaces that lane; its sequence numbers
   * start again at 1, and the old lane's listeners only ever touch the old lane.
   */
  private final class Lane {
    final Channel channel;
    final ConfirmTracker<Outgoing> unconfirmed = new ConfirmTracker<>(confirmNanos);

    Lane() throws IOException {
      channel = connection.createChannel();
      channel.confirmSelect();
      channel.addConfirmListener(confirmListener(this));
      channel.addReturnListener(RequestPublisher.this::returned);
      channel.addShutdownListener(cause -> channelLost(this, cause));
    }
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
    Outcome outcome = outgoing.outcome();
    if (!outcome.wanted()) {
      return; // Its call ended while it waited to be published: nobody wants it.
    }
    String alarm = brokerAlarm.get();
    if (alarm != null) {
      outcome.failed(FerryError.BROKER_UNAVAILABLE, alarmDetail(alarm));
      return;
    }
    // Signed before a sequence number is taken: nothing that goes wrong with one message may touch
    // the channel the others share.
    AmqpMessage message =
        signer.sign(outgoing.message(), outgoing.exchange(), outgoing.routingKey());
    Lane current = lane;
    long sequence = -1;
    try {
      if (outgoing.service() != null) {
        declare(outgoing.service());
      }
      current = usableLane();
      sequence = current.channel.getNextPublishSeqNo();
      current.unconfirmed.put(sequence, outgoing);
      current.channel.basicPublish(
          outgoing.exchange(), outgoing.routingKey(), true, message.properties(), message.body());
    } catch (IOException | ShutdownSignalException e) {
      current.unconfirmed.remove(sequence);
      logger.debug("publish failed routingKey={}", outgoing.routingKey(), e);
      outcome.failed(FerryError.BROKER_UNAVAILABLE, "could not publish the request");
    } catch (RuntimeException e) {
      // amqp-client counts the sequence number before encoding: a fresh channel keeps confirms
      // aligned.
      current.unconfirmed.remove(sequence);
      logger.warn("publish failed routingKey={} cause={}", outgoing.routingKey(), e.toString());
      AmqpChannels.closeQuietly(current.channel);
      outcome.failed(FerryError.BROKER_UNAVAILABLE, "could not publish the request");
    }
  }

  /** The lane to publish on, replacing one whose channel the broker closed. */
  private Lane usableLane() throws IOException {
    Lane current = lane;
    if (!current.channel.isOpen() && connection.isOpen()) {
      logger.info("reopening the publisher channel");
      // Off amqp-client's recovery list, which would otherwise reopen it on the next recovery.
      AmqpChannels.abort(current.channel);
      current = new Lane();
      lane = current;
    }
    return current;
  }

  private void failUnsent(Outgoing outgoing) {
    if (outgoing != STOP) {
      outgoing.outcome().failed(FerryError.SHUTTING_DOWN, "client is closing");
    }
  }

  private ConfirmListener confirmListener(Lane owner) {
    return new ConfirmListener() {
      @Override
      public void handleAck(long deliveryTag, boolean multiple) {
        owner.unconfirmed.take(deliveryTag, multiple);
      }

      @Override
      public void handleNack(long deliveryTag, boolean multiple) {
        for (Outgoing refused : owner.unconfirmed.take(deliveryTag, multiple)) {
          refused.outcome().failed(FerryError.BROKER_UNAVAILABLE, "the broker refused the request");
        }
      }
    };
  }

  private void returned(Return returned) {
    AMQP.BasicProperties properties = returned.getProperties();
    String correlationId = properties == null ? null : properties.getCorrelationId();
    if (correlationId != null) {
      returns.returned(
          correlationId,
          "no queue " + returned.getRoutingKey() + " (" + returned.getReplyText() + ")");
    }
  }

  /**
   * A lane's channel is gone. When the connection went (amqp-client recovers it), what was not yet
   * confirmed is held and published again, with the same message ids, after the recovery ({@link
   * #republishHeld}); the broker may or may not have it, and the server sidecar's reply cache
   * answers a repeat. When the broker closed just the channel, what was unconfirmed fails.
   */
  private void channelLost(Lane owner, ShutdownSignalException cause) {
    List<Outgoing> lost = owner.unconfirmed.takeAll();
    if (lost.isEmpty() || closed) {
      return;
    }
    if (cause.isHardError() && !cause.isInitiatedByApplication()) {
      logger.warn(
          "broker connection lost, holding unconfirmed requests to publish again count={}",
          lost.size());
      held.addAll(lost);
      return;
    }
    logger.warn(
        "publisher channel lost, failing unconfirmed requests count={} cause={}",
        lost.size(),
        cause.getMessage());
    for (Outgoing outgoing : lost) {
      outgoing.outcome().failed(FerryError.BROKER_UNAVAILABLE, "broker connection lost");
    }
  }

  /** Publishes again what a lost connection left unconfirmed; called after a recovery. */
  public void republishHeld() {
    Outgoing outgoing;
    int count = 0;
    while ((outgoing = held.poll()) != null) {
      if (outgoing.outcome().wanted()) {
        publish(outgoing);
        count++;
      }
    }
    if (count > 0) {
      logger.info(
          "publishing again requests left unconfirmed by a lost connection count={}", count);
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
    AmqpChannels.closeQuietly(lane.channel);
  }
}
