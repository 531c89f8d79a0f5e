package dev.ferry.loadtest.load;

import dev.ferry.loadtest.echo.RawBytes;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unary gRPC calls of one method with the body as the raw request message, over {@code connections}
 * plaintext channels (HTTP/2 connections; calls are spread round-robin and multiplexed on each).
 * Status OK is a success; other statuses count as {@code ferry-error:<code>} when the trailers
 * carry {@code ferry-error}, else as {@code grpc-<STATUS>}.
 */
public final class GrpcTransport implements Transport {
  /** The method the bench calls; the echo answers any. */
  public static final String DEFAULT_METHOD = "ferry.bench.Echo/Echo";

  private static final Metadata.Key<String> FERRY_ERROR =
      Metadata.Key.of("ferry-error", Metadata.ASCII_STRING_MARSHALLER);

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final MethodDescriptor<byte[], byte[]> method;
  private final Duration timeout;
  private final AtomicInteger next = new AtomicInteger();

  private GrpcTransport(String target, String method, int connections, Duration timeout) {
    if (connections < 1) {
      throw new IllegalArgumentException("--connections: " + connections + " (expected: 1+)");
    }
    this.method = RawBytes.unary(method);
    this.timeout = timeout;
    for (int i = 0; i < connections; i++) {
      channels.add(
          NettyChannelBuilder.forTarget(target)
              .usePlaintext()
              // Answers only complete a future: no need for another thread hop.
              .directExecutor()
              .maxInboundMessageSize(64 * 1024 * 1024)
              .build());
    }
  }

  /**
   * A transport calling {@code method} ({@code package.Service/Method}) at {@code target} ({@code
   * HOST:PORT}).
   */
  public static GrpcTransport open(
      String target, String method, int connections, Duration timeout) {
    return new GrpcTransport(target, method, connections, timeout);
  }

  @Override
  public CompletableFuture<Outcome> call(byte[] body) {
    ManagedChannel channel = channels.get(Math.floorMod(next.getAndIncrement(), channels.size()));
    CompletableFuture<Outcome> answer = new CompletableFuture<>();
    var future =
        ClientCalls.futureUnaryCall(
            channel.newCall(
                method,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)),
            body);
    future.addListener(
        () -> {
          try {
            future.get();
            answer.complete(Outcome.OK);
          } catch (ExecutionException e) {
            answer.complete(outcome(e.getCause()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer.complete(Outcome.error("interrupted"));
          }
        },
        Runnable::run);
    return answer;
  }

  static Outcome outcome(Throwable failure) {
    Status status = Status.fromThrowable(failure);
    Metadata trailers = Status.trailersFromThrowable(failure);
    String ferryError = trailers == null ? null : trailers.get(FERRY_ERROR);
    return Outcome.error(
        ferryError == null ? "grpc-" + status.getCode() : "ferry-error:" + ferryError);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
