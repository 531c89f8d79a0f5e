package dev.ferry.loadtest.echo;

import io.grpc.HandlerRegistry;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The echo upstream's gRPC side (plaintext HTTP/2): every method of every service is a unary call
 * answered with the request message's bytes, unchanged. There are no protos: a fallback {@link
 * HandlerRegistry} makes a raw-bytes handler for whatever method a call names, as grpc-java's
 * GrpcProxy example does. Owns its server; {@link #close()} is idempotent. Thread-safe.
 */
public final class EchoGrpcServer implements AutoCloseable {
  private final Server server;
  private final LongAdder calls;

  private EchoGrpcServer(Server server, LongAdder calls) {
    this.server = server;
    this.calls = calls;
  }

  /**
   * Starts listening on {@code host:port} ({@code port} 0 picks a free one).
   *
   * @throws UncheckedIOException when the address cannot be bound
   */
  public static EchoGrpcServer start(String host, int port) {
    LongAdder calls = new LongAdder();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .fallbackHandlerRegistry(new AnyMethod(calls))
            // The handler neither blocks nor waits: run it on the transport thread.
            .directExecutor()
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen (gRPC) on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    return new EchoGrpcServer(server, calls);
  }

  /** The port the server listens on (the chosen one when started with port 0). */
  public int port() {
    return server.getPort();
  }

  /** How many calls were answered so far. */
  public long calls() {
    return calls.sum();
  }

  /** Stops listening and cancels calls still running, waiting up to 2 s; idempotent. */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Resolves any method name to a unary echo of the request bytes, one definition per name. */
  private static final class AnyMethod extends HandlerRegistry {
    private final Map<String, ServerMethodDefinition<byte[], byte[]>> methods =
        new ConcurrentHashMap<>();
    private final LongAdder calls;

    AnyMethod(LongAdder calls) {
      this.calls = calls;
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      return methods.computeIfAbsent(
          methodName,
          name ->
              ServerMethodDefinition.create(
                  RawBytes.unary(name),
                  ServerCalls.asyncUnaryCall(
                      (request, response) -> {
                        calls.increment();
                        response.onNext(request);
                        response.onCompleted();
                      })));
    }
  }
}
