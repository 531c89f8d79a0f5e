package dev.ferry.client.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long one request may take to arrive (a slow caller, or a "slowloris" that sends a byte
 * now and then to hold a connection): from the first byte read of a request until its head and body
 * are complete, at most {@code --read-timeout}. When that passes, {@link #TIMED_OUT} goes down the
 * pipeline and the caller gets 408, in its turn, and the connection closes; nothing is published.
 * Netty's {@code ReadTimeoutHandler} would not do: every byte restarts it.
 *
 * <p>Two handlers share the timer: {@link #firstBytes()} before the HTTP codec starts it when bytes
 * arrive and none is running, {@link #completion()} after the codec stops it at the end of each
 * request. Bytes of the next request read along with the end of one start its timer with the next
 * read. While the connection does not read (too many requests pending), the time does not count
 * against the caller: the timer starts again. Confined to the connection's event loop.
 */
final class RequestTimeout {
  /** Fired down the pipeline when a request did not arrive in time. */
  static final Object TIMED_OUT =
      new Object() {
        @Override
        public String toString() {
          return "REQUEST_TIMED_OUT";
        }
      };

  private final long timeoutNanos;
  private ScheduledFuture<?> timer;

  RequestTimeout(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  /** The handler before the codec: starts the timer on the first bytes of a request. */
  ChannelInboundHandlerAdapter firstBytes() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timer == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
          start(ctx);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
      }
    };
  }

  /** The handler after the codec: stops the timer once a request has fully arrived. */
  ChannelInboundHandlerAdapter completion() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
          stop();
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  private void start(ChannelHandlerContext ctx) {
    timer = ctx.executor().schedule(() -> expired(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void expired(ChannelHandlerContext ctx) {
    timer = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      start(ctx); // This side is not reading: not the caller's delay.
      return;
    }
    ctx.fireUserEventTriggered(TIMED_OUT);
  }

  private void stop() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
