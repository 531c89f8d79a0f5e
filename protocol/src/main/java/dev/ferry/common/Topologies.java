package dev.ferry.common;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Declares Ferry's queues on a broker (the names and arguments are the protocol's, in {@link
 * Topology}). Both sidecars declare a service's request queue with exactly the same arguments, so
 * either may come first; an existing queue is used as it is.
 *
 * <p>Queues declared here on short-lived channels are left out of amqp-client's topology recovery
 * ({@link AmqpConnector} filters them): they are durable, and each sidecar declares them again
 * after a recovery.
 */
public final class Topologies {
  private static final int NOT_FOUND = 404;

  private Topologies() {}

  /** Declares the durable request queue of {@code service} unless it already exists. */
  public static void declareRequestQueue(Connection connection, String service, QueueType type)
      throws IOException {
    declareIfAbsent(
        connection, Topology.requestQueue(service), Topology.requestQueueArguments(type));
  }

  /** Declares the durable, length-bounded dead-letter queue of {@code service} unless it exists. */
  public static void declareDeadLetterQueue(Connection connection, String service)
      throws IOException {
    declareIfAbsent(
        connection, Topology.deadLetterQueue(service), Topology.deadLetterQueueArguments());
  }

  /**
   * Declares a client instance's reply queue on {@code channel}: not durable, not exclusive (so it
   * outlives a connection blip), deleted by the broker after a while without consumers.
   */
  public static void declareReplyQueue(Channel channel, String queue) throws IOException {
    channel.queueDeclare(queue, false, false, false, Topology.replyQueueArguments());
  }

  /**
   * Declares the durable fanout exchange that carries cancellations to {@code service}'s servers.
   */
  public static void declareControlExchange(Connection connection, String service)
      throws IOException {
    Channel channel = connection.createChannel();
    try {
      channel.exchangeDeclare(Topology.controlExchange(service), "fanout", true);
    } finally {
      AmqpChannels.closeQuietly(channel);
    }
  }

  /** True for the queues declared here on short-lived channels, which recovery must skip. */
  static boolean declaredOnTheSide(String queue) {
    return queue.startsWith(Topology.REQUEST_PREFIX)
        || queue.startsWith(Topology.DEAD_LETTER_PREFIX);
  }

  /**
   * Uses the queue if it exists, whatever its arguments, and declares it (durable) otherwise. A
   * passive declare of a missing queue closes its channel, so each attempt gets a channel of its
   * own.
   */
  private static void declareIfAbsent(
      Connection connection, String queue, Map<String, Object> arguments) throws IOException {
    Channel probe = connection.createChannel();
    try {
      probe.queueDeclarePassive(queue);
      AmqpChannels.closeQuietly(probe);
      return;
    } catch (IOException e) {
      if (!isNotFound(e)) {
        AmqpChannels.closeQuietly(probe);
        throw e;
      }
      // The 404 closed the probe channel; aborting it makes the connection forget it, else its
      // recovery would reopen it.
      AmqpChannels.abort(probe);
    }
    try (Channel channel = connection.createChannel()) {
      channel.queueDeclare(queue, true, false, false, arguments);
    } catch (TimeoutException e) {
      throw new IOException(e);
    }
  }

  private static boolean isNotFound(IOException e) {
    return e.getCause() instanceof ShutdownSignalException signal
        && signal.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == NOT_FOUND;
  }
}
