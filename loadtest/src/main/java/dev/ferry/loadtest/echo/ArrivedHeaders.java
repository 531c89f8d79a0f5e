package dev.ferry.loadtest.echo;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Keeps a copy of the latest request's headers as they arrived. It sits before {@link
 * io.netty.handler.codec.http.HttpObjectAggregator}, which edits them (adds {@code content-length},
 * drops {@code transfer-encoding: chunked} and {@code expect}), so the echo can reveal what the
 * client really sent. The aggregator hands on each request before the next one's head is decoded,
 * so {@link #latest()} belongs to the request being answered, pipelined or not.
 *
 * <p>One per connection, confined to its event loop.
 */
final class ArrivedHeaders extends ChannelInboundHandlerAdapter {
  private HttpHeaders latest = EmptyHttpHeaders.INSTANCE;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      latest = request.headers().copy();
    }
    ctx.fireChannelRead(msg);
  }

  /** The headers of the latest request head read, unedited. */
  HttpHeaders latest() {
    return latest;
  }
}
