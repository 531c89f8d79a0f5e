package dev.ferry.client.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.MalformedMessageException;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes this client instance's reply queue ({@code ferry.reply.<instance>}, one for all calls)
 * and completes the pending call each reply belongs to. Replies for calls that are no longer
 * waiting are dropped and counted, and so are replies the deployment's signer rejects (PROTOCOL.md
 * §16): they never reach a call.
 */
public final class ReplyConsumer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ReplyConsumer.class);

  private final Channel channel;
  private final String queue;
  private final PendingCalls pending;
  private final StreamRegistry streams;
  private final AtomicLong late = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicLong unsigned = new AtomicLong();
  private final MessageSigner signer;
  private volatile boolean consuming;
  private static final int PREFETCH = 1000;

  public ReplyConsumer(
      Connection connection,
      String instanceId,
      PendingCalls pending,
      StreamRegistry streams,
      MessageSigner signer)
      throws IOException {
    this.signer = signer;
    this.pending = pending;
    this.streams = streams;
    this.queue = Topology.replyQueue(instanceId);
    this.channel = connection.createChannel();
  }

  /** Declares the reply queue and starts consuming it. */
  public void start() throws IOException {
    Topologies.declareReplyQueue(channel, queue);
    // Manual acks: a reply the broker sent while the connection was dropping is not lost, it is
    // delivered again after recovery (a reply for a call that ended meanwhile is counted late).
    channel.basicQos(PREFETCH);
    channel.basicConsume(queue, false, "ferry-replies", new Consumer(channel));
    consuming = true;
  }

  /** The name of the reply queue, the {@code reply_to} of every request. */
  public String queue() {
    return queue;
  }

  /** Replies that came after their call had ended (timed out or failed) or for no known call. */
  public long lateReplies() {
    return late.get();
  }

  /** Replies and frames dropped because their signature was missing or wrong. */
  public long rejectedSignatures() {
    return unsigned.get();
  }

  /** Replies that could not be decoded. */
  public long malformedReplies() {
    return malformed.get();
  }

  /** True while the channel is open and the broker has not cancelled the consumer. */
  public boolean isConsuming() {
    return consuming && channel.isOpen();
  }

  private final class Consumer extends DefaultConsumer {
    Consumer(Channel channel) {
      super(channel);
    }

    /** Never throws: amqp-client would close the channel, and every call with it. */
    @Override
    public void handleDelivery(
        String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
      try {
        signer.verify(properties, body, envelope.getExchange(), envelope.getRoutingKey());
        deliver(properties, body);
      } catch (MalformedMessageException e) {
        unsigned.incrementAndGet();
        logger.warn(
            "reply rejected correlationId={} problem={}",
            properties.getCorrelationId(),
            e.getMessage());
      } catch (RuntimeException e) {
        logger.warn("handling a reply failed correlationId={}", properties.getCorrelationId(), e);
      }
      try {
        getChannel().basicAck(envelope.getDeliveryTag(), false);
      } catch (IOException | RuntimeException e) {
        logger.debug("acking a reply failed cause={}", e.toString());
      }
    }

    private void deliver(AMQP.BasicProperties properties, byte[] body) {
      if (GrpcCodec.TYPE_FRAME.equals(properties.getType())) {
        frame(properties, body);
        return;
      }
      ResponseEnvelope response;
      try {
        response = EnvelopeCodec.decodeResponse(properties, body);
      } catch (MalformedMessageException e) {
        malformed.incrementAndGet();
        String correlationId = properties.getCorrelationId();
        logger.warn("malformed reply correlationId={} problem={}", correlationId, e.getMessage());
        if (correlationId != null) {
          pending.fail(correlationId, e.error(), "could not decode the reply: " + e.getMessage());
        }
        return;
      }
      if (!pending.complete(response.correlationId(), response)) {
        late.incrementAndGet();
        logger.debug("late or unknown reply dropped correlationId={}", response.correlationId());
      }
    }

    /** The broker cancelled the consumer (the queue was deleted): declare and consume again. */
    @Override
    public void handleCancel(String consumerTag) {
      consuming = false;
      logger.warn("reply consumer cancelled by the broker, consuming again queue={}", queue);
      Thread restart =
          new Thread(
              () -> {
                try {
                  start();
                } catch (IOException | RuntimeException e) {
                  logger.warn(
                      "cannot consume the reply queue again queue={} cause={}",
                      queue,
                      e.toString());
                }
              },
              "ferry-reply-restart");
      restart.setDaemon(true);
      restart.start();
    }

    private void frame(AMQP.BasicProperties properties, byte[] body) {
      GrpcFrame frame;
      try {
        frame = GrpcCodec.decodeFrame(properties, body);
      } catch (MalformedMessageException e) {
        malformed.incrementAndGet();
        logger.warn(
            "malformed frame callId={} problem={}", properties.getCorrelationId(), e.getMessage());
        return;
      }
      if (!streams.deliver(frame)) {
        late.incrementAndGet();
        logger.debug("frame for no call in progress dropped callId={}", frame.callId());
      }
    }

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
      logger.debug("reply consumer stopped cause={}", sig.getMessage());
    }
  }

  @Override
  public void close() {
    AmqpChannels.closeQuietly(channel);
  }
}
