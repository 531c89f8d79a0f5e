package dev.ferry.server.upstream;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one exchange in progress on a pooled upstream connection: completes it with the response, or
 * with an {@link UpstreamException} when the connection fails, closes or times out, and gives the
 * connection back to the pool exactly once. Closes the connection when it stays idle between
 * exchanges (an {@link IdleStateEvent}), so that the pool never hands out one the service is about
 * to close. Confined to the connection's event loop.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {
  private final Consumer<Channel> release;
  private CompletableFuture<UpstreamResponse> current;
  private ScheduledFuture<?> timeout;
  private Channel channel;

  /** {@code release} gives the connection back to its pool. */
  ExchangeHandler(Consumer<Channel> release) {
    this.release = release;
  }

  /** Starts an exchange on {@code channel}; must run on its event loop. */
  void begin(Channel channel, CompletableFuture<UpstreamResponse> result, long timeoutMillis) {
    this.channel = channel;
    this.current = result;
    this.timeout =
        channel
            .eventLoop()
            .schedule(
                () ->
                    fail(
                        FerryError.TIMEOUT,
                        "upstream did not answer within " + timeoutMillis + " ms"),
                timeoutMillis,
                TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpResponse response) || current == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      int status = response.status().code();
      if (status >= 100 && status < 200 && status != 101) {
        return; // Interim (e.g. 103 Early Hints): the final answer is still to come.
      }
      if (response.decoderResult().isFailure()) {
        fail(
            FerryError.UPSTREAM_INVALID,
            "malformed response: " + response.decoderResult().cause().getMessage());
        return;
      }
      List<Header> headers = new ArrayList<>(response.headers().size());
      var iterator = response.headers().iteratorAsString();
      while (iterator.hasNext()) {
        Map.Entry<String, String> entry = iterator.next();
        headers.add(new Header(entry.getKey(), entry.getValue()));
      }
      UpstreamResponse answer =
          new UpstreamResponse(
              response.status().code(), headers, ByteBufUtil.getBytes(response.content()));
      finish(HttpUtil.isKeepAlive(response)).complete(answer);
    } finally {
      response.release();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      if (current == null) {
        ctx.close(); // Idle in the pool: the pool drops closed connections.
      }
      return; // A slow exchange is bounded by its own timeout.
    }
    ctx.fireUserEventTriggered(event);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(FerryError.UPSTREAM_UNAVAILABLE, "upstream closed the connection before answering");
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      fail(FerryError.UPSTREAM_INVALID, "response too large: " + cause.getMessage());
    } else {
      fail(FerryError.UPSTREAM_UNAVAILABLE, "upstream connection failed: " + cause.getMessage());
    }
  }

  /** Fails the exchange in progress, if any, and closes the connection. */
  void fail(FerryError error, String message) {
    if (current != null) {
      finish(false).completeExceptionally(new UpstreamException(error, message));
    }
  }

  private CompletableFuture<UpstreamResponse> finish(boolean reusable) {
    CompletableFuture<UpstreamResponse> result = current;
    current = null;
    timeout.cancel(false);
    if (!reusable) {
      channel.close();
    }
    release.accept(channel);
    return result;
  }
}
