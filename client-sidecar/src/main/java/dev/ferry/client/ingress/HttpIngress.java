package dev.ferry.client.ingress;

import dev.ferry.client.Caller;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client sidecar's HTTP/1.1 listener (NIO transport). Owns its event loops and the listening
 * socket: {@link #stopAccepting()} closes the socket, {@link #close()} also the event loops.
 */
public final class HttpIngress implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(HttpIngress.class);

  private final EventLoopGroup group;
  private final Channel listener;
  private final ChannelGroup connections;
  private final Exchanges exchanges;

  private HttpIngress(
      EventLoopGroup group, Channel listener, ChannelGroup connections, Exchanges exchanges) {
    this.group = group;
    this.listener = listener;
    this.connections = connections;
    this.exchanges = exchanges;
  }

  /** Starts listening; requests become calls on {@code client}. */
  public static HttpIngress start(Caller client, IngressConfig config)
      throws IOException, InterruptedException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    Exchanges exchanges = new Exchanges();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    connections.add(channel);
                    initPipeline(channel.pipeline(), client, config, exchanges);
                  }
                });
    ChannelFuture bound = bootstrap.bind(config.host(), config.port()).await();
    if (!bound.isSuccess()) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException(
          "--http-port: cannot listen on "
              + config.host()
              + ":"
              + config.port()
              + ": "
              + bound.cause().getMessage());
    }
    Channel listener = bound.channel();
    logger.info("http ingress listening address={}", listener.localAddress());
    return new HttpIngress(group, listener, connections, exchanges);
  }

  /** The handlers of one caller connection. */
  static void initPipeline(
      ChannelPipeline pipeline, Caller client, IngressConfig config, Exchanges exchanges) {
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(config.maxInitialLineLength())
            .setMaxHeaderSize(config.maxHeaderSize());
    RequestTimeout requestTimeout = new RequestTimeout(config.readTimeout());
    pipeline
        .addLast(new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .addLast(requestTimeout.firstBytes())
        .addLast(new HttpServerCodec(decoder))
        .addLast(requestTimeout.completion())
        .addLast(new LimitedAggregator(config.maxBodySize()))
        .addLast(new HttpIngressHandler(client, config, exchanges));
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /**
   * Closes the listening socket and starts draining: idle connections close at once, the others
   * after their last response, which says {@code Connection: close}.
   */
  public void stopAccepting() {
    listener.close().syncUninterruptibly();
    exchanges.startDraining();
    for (Channel connection : connections) {
      connection.pipeline().fireUserEventTriggered(Exchanges.DRAIN);
    }
  }

  /**
   * Waits until every response has been written (or its connection dropped), up to {@code timeout};
   * true when none is left.
   */
  public boolean awaitWritten(Duration timeout) throws InterruptedException {
    return exchanges.awaitNone(timeout.toNanos());
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
