package dev.ferry.server.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The connections to the service: idle keep-alive ones, reused newest first, and new ones, each
 * connected with the timeout its request can afford. A connection that closes (the service closed
 * it, or it stayed idle past {@link HttpUpstream#IDLE_TIMEOUT_MILLIS}) leaves the pool at once.
 * Thread-safe; each connection lives on its own event loop.
 */
final class UpstreamPool implements AutoCloseable {
  private final Bootstrap bootstrap;
  private final Deque<Channel> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  /** A pool that connects with {@code bootstrap} (group, channel type, options, address). */
  UpstreamPool(Bootstrap bootstrap, int maxBodySize) {
    this.bootstrap =
        bootstrap
            .clone()
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel channel) {
                    HttpUpstream.initPipeline(
                        channel.pipeline(), UpstreamPool.this::release, maxBodySize);
                    channel.closeFuture().addListener(closed -> idle.remove(channel));
                  }
                });
  }

  /** An idle connection that is still open, or null when there is none. */
  Channel pollIdle() {
    for (Channel channel; (channel = idle.pollLast()) != null; ) {
      if (channel.isActive()) {
        return channel;
      }
      channel.close();
    }
    return null;
  }

  /** Opens a new connection, giving up after {@code timeoutMillis}. */
  ChannelFuture connect(int timeoutMillis) {
    return bootstrap.clone().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis).connect();
  }

  /** Takes a connection back after an exchange: kept for reuse while open, closed otherwise. */
  void release(Channel channel) {
    if (closed || !channel.isActive()) {
      channel.close();
      return;
    }
    idle.offerLast(channel);
    if (closed && idle.remove(channel)) {
      channel.close(); // close() ran meanwhile.
    }
  }

  /** Closes the idle connections; those in use close when given back. */
  @Override
  public void close() {
    closed = true;
    for (Channel channel; (channel = idle.pollFirst()) != null; ) {
      channel.close();
    }
  }
}
