package dev.ferry.client.ingress;

import dev.ferry.client.Caller;
import dev.ferry.client.FerryCall;
import dev.ferry.common.Durations;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.ResponseEnvelope;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each HTTP request on one connection into a Ferry call and writes the outcomes back in
 * request order (HTTP/1.1 pipelining). All state is confined to the connection's event loop;
 * completions hop onto it. Stops reading while too many requests of one connection are pending.
 */
final class HttpIngressHandler extends ChannelInboundHandlerAdapter {
  private static final Logger logger = LoggerFactory.getLogger(HttpIngressHandler.class);
  static final String FERRY_TIMEOUT = "ferry-timeout";
  private static final int MAX_PIPELINED = 16;

  private final Caller client;
  private final IngressConfig config;
  private final Exchanges exchanges;
  private final ArrayDeque<Slot> slots = new ArrayDeque<>();
  private boolean closing;

  /** A request without keep-alive was taken: nothing after it on this connection is served. */
  private boolean lastRequestTaken;

  /** One response to write, in its turn. */
  private static final class Slot {
    FullHttpResponse response;
    boolean keepAlive;
  }

  HttpIngressHandler(Caller client, IngressConfig config, Exchanges exchanges) {
    this.exchanges = exchanges;
    this.client = client;
    this.config = config;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing || lastRequestTaken) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof Oversized oversized) {
      Slot slot = enqueue(ctx);
      if (!oversized.keepAlive()) {
        takeLast(ctx);
      }
      settle(
          ctx,
          slot,
          HttpResponses.error(
              FerryError.BODY_TOO_LARGE,
              "request body over " + config.maxBodySize() + " bytes",
              oversized.keepAlive()),
          oversized.keepAlive());
    } else if (msg instanceof FullHttpRequest request) {
      try {
        accept(ctx, request);
      } finally {
        request.release();
      }
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void accept(ChannelHandlerContext ctx, FullHttpRequest request) {
    Slot slot = enqueue(ctx);
    DecoderResult result = request.decoderResult();
    boolean keepAlive = result.isSuccess() && HttpUtil.isKeepAlive(request);
    if (!keepAlive) {
      takeLast(ctx);
    }
    if (result.isFailure()) {
      FerryError error = decodeError(result.cause());
      logger.debug(
          "rejected malformed request error={} cause={}",
          error.code(),
          result.cause().getMessage());
      settle(ctx, slot, HttpResponses.error(error, result.cause().getMessage(), false), false);
      return;
    }
    FerryCall call;
    try {
      call = toCall(request);
    } catch (Refused refused) {
      boolean keep = keepAlive && refused.keepAlive;
      settle(ctx, slot, refused.response(request, keep), keep);
      return;
    }
    forward(ctx, slot, call, HttpMethod.HEAD.equals(request.method()), keepAlive);
  }

  /** The call a well-formed request becomes, or why it is refused before anything is published. */
  private FerryCall toCall(FullHttpRequest request) throws Refused {
    Duration timeout;
    try {
      timeout = timeout(request);
    } catch (IllegalArgumentException e) {
      throw new Refused(FerryError.BAD_REQUEST, FERRY_TIMEOUT + ": " + e.getMessage(), true);
    }
    if (!isAscii(request.uri())) {
      throw new Refused(
          FerryError.BAD_REQUEST,
          "request target has octets outside ASCII (percent-encode them)",
          true);
    }
    List<Header> headers = headers(request);
    if (!EnvelopeCodec.fitsHeaderLimit(headers)) {
      throw new Refused(
          FerryError.HEADERS_TOO_LARGE,
          headers.size() + " header fields (at most " + EnvelopeCodec.MAX_HEADER_FIELDS + ")",
          false);
    }
    String service = config.routes().forHttp(request.headers().get("host"), request.uri());
    if (service == null) {
      throw new Refused(FerryError.NO_ROUTE, null, true);
    }
    return FerryCall.http(
        service,
        request.method().name(),
        request.uri(),
        headers,
        ByteBufUtil.getBytes(request.content()),
        timeout);
  }

  /** Sends the call and writes its outcome, in its turn, on this connection's event loop. */
  private void forward(
      ChannelHandlerContext ctx, Slot slot, FerryCall call, boolean head, boolean keepAlive) {
    client
        .call(call)
        .whenComplete(
            (reply, failure) -> {
              ResponseEnvelope outcome =
                  reply != null
                      ? reply
                      : ResponseEnvelope.ofError(
                          "", FerryError.BROKER_UNAVAILABLE, "internal error", -1);
              ctx.executor()
                  .execute(
                      () ->
                          settle(ctx, slot, HttpResponses.of(outcome, head, keepAlive), keepAlive));
            });
  }

  /** A request refused at the front end; cheap (no stack trace). */
  private static final class Refused extends Exception {
    final FerryError error;
    final String detail;
    final boolean keepAlive;

    Refused(FerryError error, String detail, boolean keepAlive) {
      super(error.code(), null, false, false);
      this.error = error;
      this.detail = detail;
      this.keepAlive = keepAlive;
    }

    FullHttpResponse response(FullHttpRequest request, boolean keep) {
      return error == FerryError.NO_ROUTE
          ? HttpResponses.noRoute(request.uri(), keep)
          : HttpResponses.error(error, detail, keep);
    }
  }

  /** RFC 9112, 9.6: requests pipelined after one that closes the connection are not processed. */
  private void takeLast(ChannelHandlerContext ctx) {
    lastRequestTaken = true;
    ctx.channel().config().setAutoRead(false);
  }

  private Duration timeout(FullHttpRequest request) {
    String value = request.headers().get(FERRY_TIMEOUT);
    if (value == null) {
      return config.defaultTimeout();
    }
    Duration timeout = Durations.parse(value);
    if (timeout.isZero() || timeout.compareTo(FerryCall.MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "'" + value + "' (expected: > 0 and at most " + FerryCall.MAX_TIMEOUT.toHours() + "h)");
    }
    return timeout;
  }

  private static List<Header> headers(FullHttpRequest request) {
    List<Header> headers = new ArrayList<>(request.headers().size());
    var iterator = request.headers().iteratorAsString();
    while (iterator.hasNext()) {
      Map.Entry<String, String> entry = iterator.next();
      if (!entry.getKey().equalsIgnoreCase(FERRY_TIMEOUT)) {
        headers.add(new Header(entry.getKey(), entry.getValue()));
      }
    }
    return headers;
  }

  /**
   * RFC 9112 allows only ASCII in the request target; other octets could not be carried exactly.
   */
  private static boolean isAscii(String target) {
    for (int i = 0; i < target.length(); i++) {
      if (target.charAt(i) > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static FerryError decodeError(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return FerryError.URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return FerryError.HEADERS_TOO_LARGE;
    }
    return FerryError.BAD_REQUEST;
  }

  private Slot enqueue(ChannelHandlerContext ctx) {
    Slot slot = new Slot();
    slots.add(slot);
    exchanges.enter();
    if (slots.size() >= MAX_PIPELINED) {
      ctx.channel().config().setAutoRead(false);
    }
    return slot;
  }

  /** Fills {@code slot} and writes every response whose turn has come. */
  private void settle(
      ChannelHandlerContext ctx, Slot slot, FullHttpResponse response, boolean keepAlive) {
    if (closing) {
      if (slots.remove(slot)) {
        exchanges.leave();
      }
      response.release();
      return;
    }
    slot.response = response;
    slot.keepAlive = keepAlive;
    boolean wrote = false;
    while (!slots.isEmpty() && slots.peek().response != null) {
      Slot head = slots.poll();
      if (closing) {
        head.response.release();
        exchanges.leave();
        continue;
      }
      boolean keep = head.keepAlive && !exchanges.isDraining();
      if (!keep) {
        head.response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      var future = ctx.write(head.response);
      future.addListener(written -> exchanges.leave());
      wrote = true;
      if (!keep) {
        closing = true;
        future.addListener(ChannelFutureListener.CLOSE);
      }
    }
    if (wrote) {
      ctx.flush();
    }
    if (!closing
        && !lastRequestTaken
        && slots.size() < MAX_PIPELINED
        && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == RequestTimeout.TIMED_OUT) {
      requestTimedOut(ctx);
      return;
    }
    if ((evt instanceof IdleStateEvent || evt == Exchanges.DRAIN) && slots.isEmpty()) {
      // Close once what is already being written has gone out.
      closing = true;
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (evt == Exchanges.DRAIN) {
      takeLast(ctx); // Answer what was asked, with Connection: close, and read nothing more.
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  /** A request is arriving too slowly: 408 in its turn, then close; what came of it is dropped. */
  private void requestTimedOut(ChannelHandlerContext ctx) {
    if (closing || lastRequestTaken) {
      return;
    }
    logger.debug(
        "request not received in time, closing remote={} read_timeout_ms={}",
        ctx.channel().remoteAddress(),
        config.readTimeout().toMillis());
    Slot slot = enqueue(ctx);
    takeLast(ctx);
    settle(ctx, slot, HttpResponses.requestTimeout(config.readTimeout()), false);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    for (Slot slot : slots) {
      if (slot.response != null) {
        slot.response.release();
      }
      exchanges.leave();
    }
    slots.clear();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.debug(
        "closing connection after error remote={} cause={}",
        ctx.channel().remoteAddress(),
        cause.toString());
    ctx.close();
  }
}
