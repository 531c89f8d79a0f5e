package dev.ferry.server.upstream;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelPool;
import io.netty.channel.pool.SimpleChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A pooled, non-blocking HTTP/1.1 client for the real service (NIO transport). Keeps idle
 * keep-alive connections for reuse; every call completes, with the response or an {@link
 * UpstreamException}, by its timeout. Owns its event loops.
 */
public final class HttpUpstream implements AutoCloseable {
  private static final int MAX_INITIAL_LINE = 8192;
  private static final int MAX_HEADER_SIZE = 64 * 1024;

  private final EventLoopGroup group;
  private final SimpleChannelPool pool;
  private final String authority;
  private final String basePath;

  private HttpUpstream(
      EventLoopGroup group, SimpleChannelPool pool, String authority, String basePath) {
    this.group = group;
    this.pool = pool;
    this.authority = authority;
    this.basePath = basePath;
  }

  /** A client for {@code upstream} (an {@code http://host:port[/base]} URI). */
  public static HttpUpstream create(URI upstream, int maxBodySize, int threads) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
            .remoteAddress(InetSocketAddress.createUnresolved(upstream.getHost(), port));
    SimpleChannelPool[] self = new SimpleChannelPool[1];
    SimpleChannelPool pool =
        new SimpleChannelPool(
            bootstrap,
            new AbstractChannelPoolHandler() {
              @Override
              public void channelCreated(Channel channel) {
                initPipeline(channel.pipeline(), self[0], maxBodySize);
              }
            });
    self[0] = pool;
    String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    String basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return new HttpUpstream(group, pool, upstream.getHost() + ":" + port, basePath);
  }

  /** The handlers of one upstream connection. */
  static void initPipeline(ChannelPipeline pipeline, ChannelPool pool, int maxBodySize) {
    pipeline
        .addLast(new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192))
        .addLast(new ResponseAggregator(maxBodySize))
        .addLast(new ExchangeHandler(pool));
  }

  /**
   * Judges a response by the bytes that arrive, not by its Content-Length: a HEAD response or a 304
   * announces the length of a body it does not carry.
   */
  private static final class ResponseAggregator extends HttpObjectAggregator {
    ResponseAggregator(int maxBodySize) {
      super(maxBodySize);
    }

    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
      return false;
    }
  }

  /**
   * Sends {@code request}; the future fails with an {@link UpstreamException} when there is no
   * answer.
   */
  public CompletableFuture<UpstreamResponse> send(UpstreamRequest request) {
    CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();
    pool.acquire()
        .addListener(
            (Future<Channel> acquired) -> {
              if (!acquired.isSuccess()) {
                result.completeExceptionally(
                    new UpstreamException(
                        FerryError.UPSTREAM_UNAVAILABLE,
                        "cannot connect to upstream: " + acquired.cause().getMessage()));
                return;
              }
              Channel channel = acquired.getNow();
              if (channel.eventLoop().inEventLoop()) {
                exchange(channel, request, result);
              } else {
                channel.eventLoop().execute(() -> exchange(channel, request, result));
              }
            });
    return result;
  }

  /** Runs one exchange on {@code channel}'s event loop, where its handler's state lives. */
  private void exchange(
      Channel channel, UpstreamRequest request, CompletableFuture<UpstreamResponse> result) {
    ExchangeHandler exchange = channel.pipeline().get(ExchangeHandler.class);
    exchange.begin(channel, result, Math.max(1, request.timeoutMillis()));
    channel
        .writeAndFlush(toNetty(request))
        .addListener(
            written -> {
              if (!written.isSuccess()) {
                exchange.fail(
                    FerryError.UPSTREAM_UNAVAILABLE,
                    "cannot send to upstream: " + written.cause().getMessage());
              }
            });
  }

  private FullHttpRequest toNetty(UpstreamRequest request) {
    FullHttpRequest netty =
        new DefaultFullHttpRequest(
            HttpVersion.HTTP_1_1,
            HttpMethod.valueOf(request.method()),
            basePath + request.target(),
            Unpooled.wrappedBuffer(request.body()));
    HttpHeaders headers = netty.headers();
    for (Header header : request.headers()) {
      headers.add(header.name(), header.value());
    }
    if (!headers.contains(HttpHeaderNames.HOST)) {
      headers.set(HttpHeaderNames.HOST, authority);
    }
    if (request.body().length > 0 || needsLength(request.method())) {
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, request.body().length);
    }
    return netty;
  }

  private static boolean needsLength(String method) {
    return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
  }

  @Override
  public void close() {
    pool.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
