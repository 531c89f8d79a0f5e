package dev.ferry.server.grpc;

import dev.ferry.common.RawGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The one pooled channel to the real gRPC service (plaintext, NIO). Calls carry raw bytes, so no
 * protos are needed; listener callbacks run on the channel's event loop. Owns channel and loops.
 */
public final class GrpcUpstream implements AutoCloseable {
  private final ManagedChannel channel;
  private final EventLoopGroup group;
  private final String target;
  private final int maxMessageSize;

  private GrpcUpstream(
      ManagedChannel channel, EventLoopGroup group, String target, int maxMessageSize) {
    this.channel = channel;
    this.group = group;
    this.target = target;
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * A channel to {@code host:port} that refuses response messages over {@code maxMessageSize} bytes
   * (the {@code --max-body-size}).
   */
  public static GrpcUpstream create(String host, int port, int maxMessageSize) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, port)
            .usePlaintext()
            .eventLoopGroup(group)
            .channelType(NioSocketChannel.class)
            .directExecutor()
            .maxInboundMessageSize(maxMessageSize)
            .build();
    return new GrpcUpstream(channel, group, host + ":" + port, maxMessageSize);
  }

  /**
   * A new call of {@code fullMethod} that must end within {@code timeoutMillis}, observed by {@code
   * tracer}.
   */
  ClientCall<byte[], byte[]> newCall(
      String fullMethod, long timeoutMillis, ClientStreamTracer.Factory tracer) {
    return channel.newCall(
        RawGrpc.method(fullMethod),
        CallOptions.DEFAULT
            .withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
            .withStreamTracerFactory(tracer));
  }

  public String target() {
    return target;
  }

  /** The largest response message taken, in bytes. */
  int maxMessageSize() {
    return maxMessageSize;
  }

  /** True once {@link #close()} has begun: calls still open end with UNAVAILABLE. */
  boolean isShutdown() {
    return channel.isShutdown();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
