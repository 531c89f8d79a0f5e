package dev.ferry.common;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Small helpers for AMQP channels. */
public final class AmqpChannels {
  private static final Logger logger = LoggerFactory.getLogger(AmqpChannels.class);

  private AmqpChannels() {}

  /**
   * Closes {@code channel} if it is open, and aborts it if it is not: a channel that is already
   * gone is not an error, but must still be let go of. amqp-client's recovering connection forgets
   * a channel (and its consumers) only when the application closes or aborts it; one the broker
   * closed stays listed and would be reopened, leaked, on the next connection recovery
   * (rabbitmq-java-client#1085). {@code abort()} always forgets it.
   */
  public static void closeQuietly(Channel channel) {
    try {
      if (channel.isOpen()) {
        channel.close();
        return;
      }
    } catch (IOException | TimeoutException | RuntimeException e) {
      // Closed meanwhile, say: the abort below lets go of it in any case.
      logger.debug("closing channel {} failed: {}", channel.getChannelNumber(), e.toString());
    }
    abort(channel);
  }

  /** Aborts {@code channel}, whatever state it is in; never throws. */
  public static void abort(Channel channel) {
    try {
      channel.abort();
    } catch (IOException | RuntimeException e) {
      logger.debug("aborting channel {} failed: {}", channel.getChannelNumber(), e.toString());
    }
  }
}
