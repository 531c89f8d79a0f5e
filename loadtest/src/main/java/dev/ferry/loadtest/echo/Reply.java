package dev.ferry.loadtest.echo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * One response, ready to be written: status, headers and a body it owns until {@link #writeTo}
 * hands it to the channel. Netty's encoder drops the body where HTTP allows none (HEAD, 204, 304).
 */
final class Reply {
  /** How many chunks a {@code chunked=1} body is cut into (fewer when it is shorter). */
  static final int CHUNKS = 4;

  private final HttpVersion version;
  private final HttpResponseStatus status;
  private final HttpHeaders headers;
  private final ByteBuf body;
  private final boolean chunked;

  private Reply(
      HttpVersion version,
      HttpResponseStatus status,
      HttpHeaders headers,
      ByteBuf body,
      boolean chunked) {
    this.version = version;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.chunked = chunked;
  }

  /** A short text answer (health, stats, a bad query parameter). */
  static Reply text(
      HttpVersion version, HttpResponseStatus status, String contentType, String text) {
    ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return new Reply(version, status, headers, body, false);
  }

  /**
   * The echo of {@code request} shaped by {@code options}: the request body (or a pattern body),
   * its content type, {@code x-echo-method}, {@code x-echo-uri} and one {@code x-echo-h-<name>} per
   * header of {@code arrived} (the request's headers as received) in order, then the {@code
   * header=} additions. Does not take ownership of {@code request}.
   */
  static Reply echo(FullHttpRequest request, HttpHeaders arrived, EchoOptions options) {
    HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
    String contentType = arrived.get(HttpHeaderNames.CONTENT_TYPE);
    headers.set(
        HttpHeaderNames.CONTENT_TYPE,
        contentType == null ? "application/octet-stream" : contentType);
    headers.set("x-echo-method", request.method().name());
    headers.set("x-echo-uri", request.uri());
    for (Iterator<Map.Entry<String, String>> it = arrived.iteratorAsString(); it.hasNext(); ) {
      Map.Entry<String, String> header = it.next();
      headers.add("x-echo-h-" + header.getKey().toLowerCase(Locale.ROOT), header.getValue());
    }
    ByteBuf body =
        options.size() == EchoOptions.ECHO
            ? request.content().retainedDuplicate()
            : PatternBody.of(options.size());
    if (options.chunked()) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else {
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    }
    for (EchoOptions.ExtraHeader extra : options.headers()) {
      headers.remove(extra.name());
    }
    for (EchoOptions.ExtraHeader extra : options.headers()) {
      headers.add(extra.name(), extra.value());
    }
    return new Reply(
        request.protocolVersion(),
        HttpResponseStatus.valueOf(options.status()),
        headers,
        body,
        options.chunked());
  }

  /**
   * Writes and flushes the response on the calling event loop; the body then belongs to Netty.
   * Returns the future of the last write.
   */
  ChannelFuture writeTo(ChannelHandlerContext ctx) {
    if (!chunked) {
      return ctx.writeAndFlush(
          new DefaultFullHttpResponse(
              version,
              status,
              body,
              headers,
              DefaultHttpHeadersFactory.trailersFactory().newHeaders()));
    }
    ctx.write(new DefaultHttpResponse(version, status, headers));
    int start = body.readerIndex();
    int end = body.writerIndex();
    int piece = Math.max(1, (end - start + CHUNKS - 1) / CHUNKS);
    for (int offset = start; offset < end; offset += piece) {
      ctx.write(new DefaultHttpContent(body.retainedSlice(offset, Math.min(piece, end - offset))));
    }
    body.release();
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }
}
