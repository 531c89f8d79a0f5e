package dev.ferry.server.upstream;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
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
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A pooled, non-blocking HTTP/1.1 client for the real service (NIO transport). Keeps idle
 * keep-alive connections for reuse, closing those idle for {@link #IDLE_TIMEOUT_MILLIS} (before the
 * service does so under it: Node.js closes after 5 s). A connection that cannot be opened is tried
 * again, with backoff ({@link ConnectRetry}), while the request's budget lasts. Host names are
 * resolved with Netty's non-blocking DNS resolver, never on an event loop's thread. Every call
 * completes, with the response or an {@link UpstreamException}, by its timeout. Owns its event
 * loops.
 */
public final class HttpUpstream implements AutoCloseable {
  /** A pooled connection without an exchange for this long is closed. */
  static final long IDLE_TIMEOUT_MILLIS = 4_000;

  private static final int MAX_INITIAL_LINE = 8192;
  private static final int MAX_HEADER_SIZE = 64 * 1024;

  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final UpstreamPool pool;
  private final String authority;
  private final String basePath;

  private HttpUpstream(
      EventLoopGroup group,
      DnsAddressResolverGroup resolver,
      UpstreamPool pool,
      String authority,
      String basePath) {
    this.group = group;
    this.resolver = resolver;
    this.pool = pool;
    this.authority = authority;
    this.basePath = basePath;
  }

  /** A client for {@code upstream} (an {@code http://host:port[/base]} URI). */
  public static HttpUpstream create(URI upstream, int maxBodySize, int threads) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    DnsAddressResolverGroup resolver =
        new DnsAddressResolverGroup(
            NioDatagramChannel.class, DnsServerAddressStreamProviders.platformDefault());
    int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .resolver(resolver)
            .option(ChannelOption.TCP_NODELAY, true)
            .remoteAddress(InetSocketAddress.createUnresolved(upstream.getHost(), port));
    String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
    String basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return new HttpUpstream(
        group,
        resolver,
        new UpstreamPool(bootstrap, maxBodySize),
        upstream.getHost() + ":" + port,
        basePath);
  }

  /** The handlers of one upstream connection; {@code release} takes it back after an exchange. */
  static void initPipeline(ChannelPipeline pipeline, Consumer<Channel> release, int maxBodySize) {
    pipeline
        .addLast(new IdleStateHandler(0, 0, IDLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
        .addLast(new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 8192))
        .addLast(new ResponseAggregator(maxBodySize))
        .addLast(new ExchangeHandler(release));
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
   * One request on its way: what to send, where its answer goes, its deadline, and who hears of
   * each failed connection attempt.
   */
  private record Call(
      UpstreamRequest request,
      CompletableFuture<UpstreamResponse> result,
      long deadlineNanos,
      Predicate<Throwable> connectAgain) {
    long remainingMillis() {
      return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /** Fails the call before anything of it was written to the service. */
    void fail(FerryError error, String message) {
      result.completeExceptionally(UpstreamException.notSent(error, message));
    }
  }

  /**
   * Sends {@code request}; the future fails with an {@link UpstreamException} when there is no
   * answer within {@link UpstreamRequest#timeoutMillis()}.
   */
  public CompletableFuture<UpstreamResponse> send(UpstreamRequest request) {
    return send(request, cause -> true);
  }

  /**
   * Sends {@code request} as {@link #send(UpstreamRequest)} does, telling {@code connectAgain} of
   * every connection attempt that fails (on an event loop: it must not block); when it answers
   * false, the call fails at once, with nothing sent, instead of trying to connect again.
   */
  public CompletableFuture<UpstreamResponse> send(
      UpstreamRequest request, Predicate<Throwable> connectAgain) {
    long budgetNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, request.timeoutMillis()));
    Call call =
        new Call(request, new CompletableFuture<>(), System.nanoTime() + budgetNanos, connectAgain);
    acquire(call, 0);
    return call.result;
  }

  /** Runs {@code call} on an idle connection, or on a new one (after {@code failures} failed). */
  private void acquire(Call call, int failures) {
    Channel idle = pool.pollIdle();
    if (idle != null) {
      run(idle, true, call, failures);
      return;
    }
    long remaining = call.remainingMillis();
    if (remaining <= 0) {
      call.fail(FerryError.UPSTREAM_UNAVAILABLE, "cannot connect to upstream: out of time");
      return;
    }
    ChannelFuture connecting;
    try {
      connecting = pool.connect(ConnectRetry.connectTimeoutMillis(remaining));
    } catch (RuntimeException e) {
      call.fail(FerryError.UPSTREAM_UNAVAILABLE, "cannot connect to upstream: " + e.getMessage());
      return;
    }
    connecting.addListener(
        (ChannelFuture connected) -> {
          if (connected.isSuccess()) {
            run(connected.channel(), false, call, failures);
          } else {
            retryLater(call, failures + 1, connected.cause());
          }
        });
  }

  private void retryLater(Call call, int failures, Throwable cause) {
    if (!call.connectAgain().test(cause)) {
      call.fail(
          FerryError.UPSTREAM_UNAVAILABLE, "cannot connect to upstream: " + cause.getMessage());
      return;
    }
    long delay = ConnectRetry.delayMillis(failures, call.remainingMillis());
    if (delay < 0) {
      call.fail(
          FerryError.UPSTREAM_UNAVAILABLE, "cannot connect to upstream: " + cause.getMessage());
      return;
    }
    try {
      group.schedule(() -> acquire(call, failures), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      call.fail(FerryError.UPSTREAM_UNAVAILABLE, "upstream client closed");
    }
  }

  private void run(Channel channel, boolean reused, Call call, int failures) {
    EventLoop loop = channel.eventLoop();
    if (loop.inEventLoop()) {
      exchange(channel, reused, call, failures);
    } else {
      loop.execute(() -> exchange(channel, reused, call, failures));
    }
  }

  /** Runs one exchange on {@code channel}'s event loop, where its handler's state lives. */
  private void exchange(Channel channel, boolean reused, Call call, int failures) {
    ExchangeHandler exchange = channel.pipeline().get(ExchangeHandler.class);
    if (exchange == null || !channel.isActive()) {
      // It closed before anything was sent on it: an idle one is replaced at once, a new one
      // counts as a failed attempt.
      channel.close();
      if (reused) {
        acquire(call, failures);
      } else {
        retryLater(call, failures + 1, new IOException("connection closed at once"));
      }
      return;
    }
    FullHttpRequest request;
    try {
      request = toNetty(call.request);
    } catch (RuntimeException e) {
      // Nothing was written: the connection is as good as before.
      pool.release(channel);
      call.fail(FerryError.BAD_REQUEST, "request cannot be sent as HTTP: " + e.getMessage());
      return;
    }
    exchange.begin(channel, call.result, Math.max(1, call.remainingMillis()));
    channel
        .writeAndFlush(request)
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
    resolver.close();
  }
}
