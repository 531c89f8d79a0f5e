package dev.ferry.client.ingress;

import dev.ferry.client.FerryClient;
import dev.ferry.client.FerryStream;
import dev.ferry.common.RawGrpc;
import dev.ferry.protocol.FerryError;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.internal.ThreadExecutorMap;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client sidecar's gRPC front end: a generic server that takes any method of any service
 * (messages are carried as raw bytes, so no protos are needed) and turns each call into a Ferry
 * stream. Also serves {@code grpc.health.v1.Health} for the sidecar itself. Owns its server and
 * event loops.
 */
public final class GrpcIngress implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(GrpcIngress.class);

  private final Server server;
  private final EventLoopGroup group;
  private final HealthStatusManager health;

  private GrpcIngress(Server server, EventLoopGroup group, HealthStatusManager health) {
    this.server = server;
    this.group = group;
    this.health = health;
  }

  /**
   * How the gRPC front end listens and routes.
   *
   * @param maxMessageSize the largest request message ({@code --max-body-size}); larger ones end
   *     the call with {@code RESOURCE_EXHAUSTED} ({@code body-too-large})
   * @param maxMetadataSize the largest metadata of a call ({@code --max-header-size}), advertised
   *     to callers in the HTTP/2 settings; a call with more fails before anything is published
   * @param idleTimeout a connection without calls for this long is closed ({@code --idle-timeout})
   * @param handshakeTimeout a new connection must complete the HTTP/2 preface this soon ({@code
   *     --read-timeout}), so a caller that trickles bytes cannot hold it
   */
  public record Config(
      String host,
      int port,
      Routes routes,
      Duration defaultTimeout,
      int maxMessageSize,
      int maxMetadataSize,
      Duration idleTimeout,
      Duration handshakeTimeout) {}

  /** Starts listening; calls become streams on {@code client}. */
  public static GrpcIngress start(FerryClient client, Config config) throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    HealthStatusManager health = new HealthStatusManager();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
            .channelType(NioServerSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .directExecutor()
            .maxInboundMessageSize(config.maxMessageSize() + 64 * 1024)
            .maxInboundMetadataSize(config.maxMetadataSize())
            .maxConnectionIdle(config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS)
            .handshakeTimeout(config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS)
            .addService(health.getHealthService())
            .fallbackHandlerRegistry(new AnyMethod(client, config))
            .build();
    try {
      server.start();
    } catch (IOException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException(
          "--grpc-port: cannot listen on "
              + config.host()
              + ":"
              + config.port()
              + ": "
              + e.getMessage(),
          e);
    }
    logger.info("grpc ingress listening port={}", server.getPort());
    return new GrpcIngress(server, group, health);
  }

  public int port() {
    return server.getPort();
  }

  /** Reports the sidecar's readiness on the standard health service (the empty service name). */
  public void reportHealth(BooleanSupplier ready) {
    health.setStatus("", ready.getAsBoolean() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Refuses new calls (GOAWAY) and lets calls in progress finish. */
  public void stopAccepting() {
    health.enterTerminalState();
    server.shutdown();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Every method not served here goes over Ferry, to the service its route names. */
  private static final class AnyMethod extends HandlerRegistry {
    private final FerryClient client;
    private final Config config;

    AnyMethod(FerryClient client, Config config) {
      this.client = client;
      this.config = config;
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      return ServerMethodDefinition.create(RawGrpc.method(methodName), this::startCall);
    }

    private ServerCall.Listener<byte[]> startCall(
        ServerCall<byte[], byte[]> call, Metadata headers) {
      // With the direct executor this runs on the connection's event loop (Netty offers no public
      // accessor for it; ThreadExecutorMap is public and stable since 4.1).
      Executor current = ThreadExecutorMap.currentExecutor();
      Executor eventLoop = current != null ? current : Runnable::run;
      GrpcCallBridge bridge = new GrpcCallBridge(call, eventLoop, config.maxMessageSize());
      String fullMethod = call.getMethodDescriptor().getFullMethodName();
      String service = config.routes().forGrpc(call.getMethodDescriptor().getServiceName());
      if (service == null) {
        bridge.closeWith(
            StreamStatuses.sidecar(
                FerryError.NO_ROUTE,
                UNIMPLEMENTED,
                "no route for gRPC service " + call.getMethodDescriptor().getServiceName()));
        return new ServerCall.Listener<>() {};
      }
      Deadline deadline = Context.current().getDeadline();
      long timeoutMillis =
          deadline == null
              ? config.defaultTimeout().toMillis()
              : deadline.timeRemaining(TimeUnit.MILLISECONDS);
      if (timeoutMillis <= 0) {
        bridge.closeWith(
            StreamStatuses.sidecar(FerryError.TIMEOUT, "the deadline had passed on arrival"));
        return new ServerCall.Listener<>() {};
      }
      FerryStream stream =
          client.newStream(
              service,
              fullMethod,
              RawGrpc.headers(headers),
              Duration.ofMillis(timeoutMillis),
              false,
              eventLoop,
              bridge.streamListener());
      // Not yet: asking the caller for messages now could call the listener back before gRPC
      // has it (this runs on the event loop that would call it).
      bridge.attach(stream);
      stream.start();
      eventLoop.execute(bridge::begin);
      return bridge.callerListener();
    }

    private static final int UNIMPLEMENTED = 12;
  }
}
