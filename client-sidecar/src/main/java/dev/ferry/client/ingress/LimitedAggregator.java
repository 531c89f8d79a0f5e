package dev.ferry.client.ingress;

import dev.ferry.protocol.FerryError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator with Ferry's answer to an oversized body: a marked 413 ({@code ferry-error:
 * body-too-large}) that takes its turn in the response order, and nothing published.
 */
final class LimitedAggregator extends HttpObjectAggregator {
  LimitedAggregator(int maxBodySize) {
    super(maxBodySize);
  }

  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object response = super.newContinueResponse(start, maxContentLength, pipeline);
    if (response instanceof HttpResponse http
        && http.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
      http.headers().set(HttpResponses.FERRY_ERROR, FerryError.BODY_TOO_LARGE.code());
    }
    return response;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    boolean keepAlive = !(oversized instanceof FullHttpMessage)
        && (HttpUtil.is100ContinueExpected(oversized) || HttpUtil.isKeepAlive(oversized));
    ctx.fireChannelRead(new Oversized(keepAlive));
  }
}
