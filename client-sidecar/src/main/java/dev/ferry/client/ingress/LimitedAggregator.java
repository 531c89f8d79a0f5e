package dev.ferry.client.ingress;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's aggregator with Ferry's answer to an oversized body: a marked 413 ({@code ferry-error:
 * body-too-large}) that takes its turn in the response order, and nothing published. Adds no
 * headers of its own to the request.
 */
final class LimitedAggregator extends HttpObjectAggregator {
  LimitedAggregator(int maxBodySize) {
    super(maxBodySize);
  }

  /**
   * Leaves an oversized {@code Expect: 100-continue} request to {@link #handleOversizedMessage}, so
   * that its 413 is Ferry's and waits for its turn, instead of Netty's written at once.
   */
  @Override
  protected Object newContinueResponse(
      HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object response = super.newContinueResponse(start, maxContentLength, pipeline);
    if (response instanceof HttpResponse http
        && http.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
      ReferenceCountUtil.release(response);
      return null;
    }
    return response;
  }

  /** Carries only the headers the caller sent: no Content-Length made up for a bodiless request. */
  @Override
  protected void finishAggregation(FullHttpMessage aggregated) {}

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean keepAlive =
        !(oversized instanceof FullHttpMessage)
            && (HttpUtil.is100ContinueExpected(oversized) || HttpUtil.isKeepAlive(oversized));
    ctx.fireChannelRead(new Oversized(keepAlive));
  }
}
