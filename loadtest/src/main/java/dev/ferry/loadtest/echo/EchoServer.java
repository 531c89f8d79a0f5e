package dev.ferry.loadtest.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The echo upstream as an in-process HTTP/1.1 server (keep-alive; request bodies up to 64MiB,
 * larger ones get 413):
 *
 * <ul>
 *   <li>{@code /healthz} answers 200 {@code ok}; {@code /stats} answers 200 {@code {"requests": N}}
 *       (see {@link #requests()}).
 *   <li>Any other path and method answers 200 with the request body unchanged, its {@code
 *       content-type} (default {@code application/octet-stream}), {@code x-echo-method}, {@code
 *       x-echo-uri} (the request target as received) and, for each request header as it arrived, in
 *       order and with repeats, {@code x-echo-h-<lowercased name>} with the same value.
 *   <li>Query parameters change that: {@code status=NNN} (200..599), {@code delay=MS} (answer
 *       later, without holding a thread), {@code size=N} (N bytes of {@code abc..z} instead of the
 *       echo; {@code 8MiB} works too), {@code header=name:value} (repeatable; adds, or replaces the
 *       echo's own header of that name), {@code close=1} (reset the connection instead of
 *       answering), {@code chunked=1} (answer in several chunks). A bad value gets 400 naming it.
 * </ul>
 *
 * <p>Owns its listening socket and its event loop group (NIO transport, daemon threads); {@link
 * #close()} releases both, is idempotent, and must not be called from one of the server's own event
 * loops. Thread-safe.
 *
 * <pre>{@code
 * try (EchoServer echo = EchoServer.start("127.0.0.1", 0)) {
 *   URI base = URI.create("http://127.0.0.1:" + echo.port() + "/");
 *   ...
 * }
 * }</pre>
 */
public final class EchoServer implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(EchoServer.class);

  /** Largest request body accepted; larger ones get 413 from the aggregator. */
  static final int MAX_REQUEST_BYTES = 64 * 1024 * 1024;

  private final EventLoopGroup group;
  private final Channel listener;
  private final int port;
  private final LongAdder requests;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EchoServer(EventLoopGroup group, Channel listener, LongAdder requests) {
    this.group = group;
    this.listener = listener;
    this.port = ((InetSocketAddress) listener.localAddress()).getPort();
    this.requests = requests;
  }

  /**
   * Starts listening on {@code host:port} ({@code port} 0 picks a free one) and returns once
   * connections are accepted.
   *
   * @throws UncheckedIOException when the address cannot be bound
   */
  public static EchoServer start(String host, int port) {
    return start(host, port, EchoObserver.NONE);
  }

  /**
   * Starts like {@link #start(String, int)}, and tells {@code observer} about every request that
   * reaches the echo endpoint, as it arrives.
   */
  public static EchoServer start(String host, int port, EchoObserver observer) {
    return start(new EchoConfig(host, port), observer);
  }

  static EchoServer start(EchoConfig config) {
    return start(config, EchoObserver.NONE);
  }

  private static EchoServer start(EchoConfig config, EchoObserver observer) {
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    if (address.isUnresolved()) {
      throw cannotListen(config, new UnknownHostException("unknown host"));
    }
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            0, new DefaultThreadFactory("ferry-echo", true), NioIoHandler.newFactory());
    LongAdder requests = new LongAdder();
    ChannelFuture bound =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(pipeline(requests, observer))
            .bind(address)
            .awaitUninterruptibly();
    if (!bound.isSuccess()) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw cannotListen(config, bound.cause());
    }
    EchoServer server = new EchoServer(group, bound.channel(), requests);
    logger.info("echo server listening url={}", config.url(server.port()));
    return server;
  }

  private static UncheckedIOException cannotListen(EchoConfig config, Throwable cause) {
    String reason =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new UncheckedIOException(
        "cannot listen on " + config.host() + ":" + config.port() + ": " + reason,
        cause instanceof IOException io ? io : new IOException(cause));
  }

  private static ChannelInitializer<SocketChannel> pipeline(
      LongAdder requests, EchoObserver observer) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel channel) {
        ArrivedHeaders arrived = new ArrivedHeaders();
        channel
            .pipeline()
            .addLast(new HttpServerCodec(decoderConfig()))
            .addLast(new HttpServerKeepAliveHandler())
            .addLast(arrived)
            .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
            .addLast(new EchoHandler(requests, arrived, observer));
      }
    };
  }

  /** Generous limits: long URIs and many headers are what an echo is asked to show. */
  private static HttpDecoderConfig decoderConfig() {
    return new HttpDecoderConfig().setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(64 * 1024);
  }

  /** The port the server listens on (the chosen one when started with port 0). */
  public int port() {
    return port;
  }

  /**
   * How many requests reached the echo endpoint so far, counted on arrival: every request except
   * {@code /healthz} and {@code /stats}, including those answered late ({@code delay}), not at all
   * ({@code close}) or with 400 for a bad query parameter.
   */
  public long requests() {
    return requests.sum();
  }

  /** Waits until {@link #close()} has finished, from another thread. */
  void awaitClosed() throws InterruptedException {
    group.terminationFuture().await();
  }

  /**
   * Stops listening, drops open connections and shuts the event loops down, returning when they
   * have stopped; idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      group.terminationFuture().awaitUninterruptibly();
      return;
    }
    listener.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    logger.info("echo server stopped requests={}", requests());
  }
}
