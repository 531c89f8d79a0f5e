package dev.ferry.loadtest.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 POSTs of the body to one URL over at most {@code connections} persistent keep-alive
 * connections, one request in flight on each (no pipelining). Requests beyond that wait in a FIFO
 * queue for the next free connection. A connection that breaks is replaced on demand. Answers with
 * a 2xx status are successes; others count as {@code ferry-error:<code>} when the response carries
 * a {@code ferry-error} header, else as {@code http-<status>}.
 */
public final class HttpTransport implements Transport {
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final String host;
  private final int port;
  private final String target;
  private final String authority;
  private final int connections;
  private final long timeoutNanos;

  // Guarded by this.
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private int open;
  private boolean closed;

  private HttpTransport(URI url, int connections, Duration timeout) {
    if (!"http".equals(url.getScheme()) || url.getHost() == null) {
      throw new IllegalArgumentException("--url: " + url + " (expected: http://HOST:PORT/PATH)");
    }
    if (connections < 1) {
      throw new IllegalArgumentException("--connections: " + connections + " (expected: 1+)");
    }
    this.host = url.getHost();
    this.port = url.getPort() < 0 ? 80 : url.getPort();
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    this.target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    this.authority = url.getRawAuthority();
    this.connections = connections;
    this.timeoutNanos = timeout.toNanos();
    this.group =
        new MultiThreadIoEventLoopGroup(
            Math.min(connections, Runtime.getRuntime().availableProcessors()),
            new DefaultThreadFactory("load-http", true),
            NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    channel
                        .pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(64 * 1024 * 1024))
                        .addLast(new Connection());
                  }
                });
  }

  /** A transport to {@code url} ({@code http://HOST:PORT/PATH?QUERY}); connects lazily. */
  public static HttpTransport open(URI url, int connections, Duration timeout) {
    return new HttpTransport(url, connections, timeout);
  }

  @Override
  public CompletableFuture<Outcome> call(byte[] body) {
    Pending pending = new Pending(body, new CompletableFuture<>());
    synchronized (this) {
      if (closed) {
        return CompletableFuture.completedFuture(Outcome.error("closed"));
      }
      waiting.add(pending);
    }
    dispatch();
    return pending.answer;
  }

  /** Pairs waiting requests with idle connections, and opens connections while it may. */
  private void dispatch() {
    while (true) {
      Connection connection;
      Pending pending;
      synchronized (this) {
        if (waiting.isEmpty() || closed) {
          return;
        }
        connection = idle.poll();
        if (connection == null) {
          if (open < connections) {
            open++;
            connect();
          }
          return;
        }
        pending = waiting.poll();
      }
      connection.send(pending);
    }
  }

  private void connect() {
    bootstrap
        .connect(host, port)
        .addListener(
            (ChannelFutureListener)
                future -> {
                  if (future.isSuccess()) {
                    release(future.channel().pipeline().get(Connection.class));
                    return;
                  }
                  Pending failed;
                  synchronized (this) {
                    open--;
                    // Fail one waiting request per failed attempt, so that a dead target turns
                    // into errors at the request rate instead of a silent queue.
                    failed = waiting.poll();
                  }
                  if (failed != null) {
                    failed.answer.complete(Outcome.error("connect"));
                  }
                  dispatch();
                });
  }

  private void release(Connection connection) {
    synchronized (this) {
      idle.add(connection);
    }
    dispatch();
  }

  private void lost(Connection connection) {
    synchronized (this) {
      idle.remove(connection);
      open--;
    }
    dispatch();
  }

  @Override
  public void close() {
    ArrayDeque<Pending> abandoned;
    synchronized (this) {
      closed = true;
      abandoned = new ArrayDeque<>(waiting);
      waiting.clear();
    }
    abandoned.forEach(pending -> pending.answer.complete(Outcome.error("closed")));
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private record Pending(byte[] body, CompletableFuture<Outcome> answer) {}

  /** One connection: at most one request in flight; events arrive on its event loop. */
  private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
    private Channel channel;
    private Pending current;
    private ScheduledFuture<?> timer;

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
      // Before the connect listener runs (which may hand this connection a request at once).
      channel = context.channel();
    }

    void send(Pending pending) {
      channel.eventLoop().execute(() -> write(pending));
    }

    private void write(Pending pending) {
      if (!channel.isActive()) {
        pending.answer.complete(Outcome.error("connection-closed"));
        return;
      }
      current = pending;
      FullHttpRequest request =
          new DefaultFullHttpRequest(
              HttpVersion.HTTP_1_1, HttpMethod.POST, target, Unpooled.wrappedBuffer(pending.body));
      request.headers().set(HttpHeaderNames.HOST, authority);
      request
          .headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
      request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, pending.body.length);
      timer =
          channel
              .eventLoop()
              .schedule(
                  () -> finish(pending, Outcome.error("timeout"), true),
                  timeoutNanos,
                  TimeUnit.NANOSECONDS);
      channel
          .writeAndFlush(request)
          .addListener(
              (ChannelFutureListener)
                  written -> {
                    if (!written.isSuccess()) {
                      finish(pending, Outcome.error("write"), true);
                    }
                  });
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, FullHttpResponse response) {
      Pending pending = current;
      if (pending == null) {
        context.close(); // an answer nobody asked for: the connection cannot be trusted
        return;
      }
      int status = response.status().code();
      Outcome outcome;
      if (status >= 200 && status < 300) {
        outcome = Outcome.OK;
      } else {
        String ferryError = response.headers().get("ferry-error");
        outcome =
            Outcome.error(ferryError == null ? "http-" + status : "ferry-error:" + ferryError);
      }
      finish(pending, outcome, !HttpUtil.isKeepAlive(response));
    }

    private void finish(Pending pending, Outcome outcome, boolean closeAfter) {
      if (current != pending) {
        return;
      }
      current = null;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      if (closeAfter) {
        channel.close();
      } else {
        release(this);
      }
      pending.answer.complete(outcome);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      Pending pending = current;
      if (pending != null) {
        current = null;
        if (timer != null) {
          timer.cancel(false);
        }
        pending.answer.complete(Outcome.error("connection-closed"));
      }
      lost(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      context.close();
    }
  }
}
