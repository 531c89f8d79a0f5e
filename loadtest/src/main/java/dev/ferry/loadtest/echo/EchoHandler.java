package dev.ferry.loadtest.echo;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests of one connection: {@code /healthz}, {@code /stats}, and the echo of
 * anything else (see {@link Reply#echo} and {@link EchoOptions}).
 *
 * <p>One instance per connection, confined to its event loop. Responses leave in request order even
 * when an earlier one is delayed, so pipelining clients stay in step; delays are scheduled on the
 * event loop, never slept.
 */
final class EchoHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger logger = LoggerFactory.getLogger(EchoHandler.class);

  private final LongAdder requests;
  private final ArrivedHeaders arrived;
  private final EchoObserver observer;

  /** Completes once the previous response of this connection has been written; null before. */
  private Future<?> previous;

  EchoHandler(LongAdder requests, ArrivedHeaders arrived) {
    this(requests, arrived, EchoObserver.NONE);
  }

  EchoHandler(LongAdder requests, ArrivedHeaders arrived, EchoObserver observer) {
    this.requests = requests;
    this.arrived = arrived;
    this.observer = observer;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    HttpVersion version = request.protocolVersion();
    if (!request.decoderResult().isSuccess()) {
      logger.debug(
          "undecodable request remote={}",
          ctx.channel().remoteAddress(),
          request.decoderResult().cause());
      text(version, HttpResponseStatus.BAD_REQUEST, "echo: malformed request\n")
          .writeTo(ctx)
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    switch (query.path()) {
      case "/healthz" ->
          send(ctx, Reply.text(version, HttpResponseStatus.OK, "text/plain", "ok"), 0);
      case "/stats" -> send(ctx, stats(version), 0);
      default -> echo(ctx, request, query);
    }
  }

  private void echo(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query) {
    requests.increment();
    observer.arrived(request.method().name(), request.uri(), arrived.latest());
    EchoOptions options;
    try {
      options = EchoOptions.parse(query.parameters());
    } catch (EchoOptions.InvalidOption e) {
      send(
          ctx,
          text(
              request.protocolVersion(),
              HttpResponseStatus.BAD_REQUEST,
              "echo: " + e.getMessage() + "\n"),
          0);
      return;
    }
    logger.debug("echo method={} uri={}", request.method(), request.uri());
    if (options.close()) {
      // Linger 0 turns the close into a reset, as an upstream that crashes would.
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    send(ctx, Reply.echo(request, arrived.latest(), options), options.delayMillis());
  }

  /** Writes {@code reply} after {@code delayMillis}, and not before the previous response. */
  private void send(ChannelHandlerContext ctx, Reply reply, long delayMillis) {
    Promise<Void> written = ctx.executor().newPromise();
    Future<?> before = previous;
    previous = written;
    Runnable write =
        () -> {
          reply.writeTo(ctx);
          written.setSuccess(null);
        };
    Runnable inTurn = before == null ? write : () -> before.addListener(f -> write.run());
    if (delayMillis > 0) {
      ctx.executor().schedule(inTurn, delayMillis, TimeUnit.MILLISECONDS);
    } else {
      inTurn.run();
    }
  }

  private Reply stats(HttpVersion version) {
    return Reply.text(
        version,
        HttpResponseStatus.OK,
        "application/json",
        "{\"requests\": " + requests.sum() + "}");
  }

  private static Reply text(HttpVersion version, HttpResponseStatus status, String text) {
    return Reply.text(version, status, "text/plain; charset=utf-8", text);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Clients that hang up early (resets, a refused oversized body) are routine for an upstream.
    if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
      logger.debug("connection failed remote={}", ctx.channel().remoteAddress(), cause);
    } else {
      logger.warn("unexpected failure remote={}", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
