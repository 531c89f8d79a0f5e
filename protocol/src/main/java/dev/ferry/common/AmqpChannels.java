package dev.ferry.common;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Small helpers for AMQP channels. */
public final class AmqpChannels {
  private static final Logger logger = LoggerFactory.getLogger(AmqpChannels.class);

  private AmqpChannels() {}

  /** Closes {@code channel} if it is open; a channel that is already gone is not an error. */
  public static void closeQuietly(Channel channel) {
    try {
      if (channel.isOpen()) {
        channel.close();
      }
    } catch (IOException | TimeoutException | ShutdownSignalException e) {
      logger.debug("closing channel {} failed: {}", channel.getChannelNumber(), e.toString());
    }
  }
}
