package dev.ferry.server.grpc;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server sidecar's own queue, {@code ferry.call.<instance>}: clients send the frames of calls
 * in progress here, and it is bound to the service's control exchange, which carries cancellations
 * of calls not yet taken. Exclusive: it goes away with this sidecar, so a client's next frame or
 * ping is returned and its call fails at once instead of hanging.
 */
public final class CallQueue implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(CallQueue.class);

  private final Channel channel;
  private final String name;
  private final AtomicBoolean failedBefore = new AtomicBoolean();

  public CallQueue(
      Connection connection,
      String instanceId,
      String service,
      ActiveCalls calls,
      MessageSigner signer)
      throws IOException {
    this.name = Topology.callQueue(instanceId);
    this.channel = connection.createChannel();
    channel.queueDeclare(name, false, true, true, Map.of("x-queue-type", "classic"));
    Topologies.declareControlExchange(connection, service);
    channel.queueBind(name, Topology.controlExchange(service), "");
    channel.basicConsume(
        name,
        true,
        "ferry-call-frames",
        new DefaultConsumer(channel) {
          @Override
          public void handleDelivery(
              String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            try {
              signer.verify(properties, body, envelope.getExchange(), envelope.getRoutingKey());
              calls.deliver(GrpcCodec.decodeFrame(properties, body));
            } catch (MalformedMessageException e) {
              logger.warn(
                  "malformed or unsigned client frame dropped callId={} problem={}",
                  properties.getCorrelationId(),
                  e.getMessage());
            } catch (RuntimeException e) {
              // A bug, not an outcome. Thrown on, it would reach amqp-client, whose handler closes
              // this channel for good: no frame of any call would arrive any more.
              unexpected(properties.getCorrelationId(), e);
            }
          }
        });
  }

  /** Logs the first unexpected failure with its trace, later ones in one line each. */
  private void unexpected(String callId, RuntimeException e) {
    if (failedBefore.compareAndSet(false, true)) {
      logger.warn("handling a client frame failed, frame dropped callId={}", callId, e);
    } else {
      logger.warn(
          "handling a client frame failed, frame dropped callId={} cause={}", callId, e.toString());
    }
  }

  /** The call address clients send this sidecar's frames to. */
  public String name() {
    return name;
  }

  public boolean isConsuming() {
    return channel.isOpen();
  }

  @Override
  public void close() {
    AmqpChannels.closeQuietly(channel);
  }
}
