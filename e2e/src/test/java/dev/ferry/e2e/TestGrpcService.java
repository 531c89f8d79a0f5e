package dev.ferry.e2e;

import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real gRPC service of the tests: every call type, statuses and trailers on request, request
 * metadata ({@code x-*}, {@code traceparent}, {@code tracestate}) echoed back as response headers
 * ({@code echo-<key>}), and a record of what it saw.
 */
final class TestGrpcService extends TestServiceGrpc.TestServiceImplBase implements AutoCloseable {
  static final Context.Key<Metadata> HEADERS = Context.key("headers");
  static final Metadata.Key<String> TRAILER =
      Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<byte[]> TRAILER_BIN =
      Metadata.Key.of("x-trailer-bin", Metadata.BINARY_BYTE_MARSHALLER);

  final AtomicInteger calls = new AtomicInteger();
  final ConcurrentLinkedQueue<String> cancelled = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Server server;

  TestGrpcService() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(this, new EchoHeaders()))
            .build()
            .start();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void unary(Msg request, StreamObserver<Msg> responses) {
    calls.incrementAndGet();
    Context.current().addListener(context -> cancelled.add(request.getText()), Runnable::run);
    timer.schedule(
        () -> {
          if (request.getStatus() != 0) {
            fail(request, responses);
            return;
          }
          responses.onNext(
              Msg.newBuilder()
                  .setText("echo:" + request.getText())
                  .setPayload(request.getPayload())
                  .build());
          responses.onCompleted();
        },
        request.getDelayMs(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void serverStream(Msg request, StreamObserver<Msg> responses) {
    calls.incrementAndGet();
    for (int i = 0; i < request.getCount(); i++) {
      responses.onNext(Msg.newBuilder().setText(request.getText() + "-" + i).build());
    }
    if (request.getStatus() != 0) {
      fail(request, responses);
    } else {
      responses.onCompleted();
    }
  }

  @Override
  public StreamObserver<Msg> clientStream(StreamObserver<Msg> responses) {
    calls.incrementAndGet();
    StringBuilder joined = new StringBuilder();
    AtomicInteger count = new AtomicInteger();
    return new StreamObserver<>() {
      @Override
      public void onNext(Msg message) {
        joined.append(message.getText());
        count.incrementAndGet();
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responses.onNext(Msg.newBuilder().setText(joined.toString()).setCount(count.get()).build());
        responses.onCompleted();
      }
    };
  }

  @Override
  public StreamObserver<Msg> bidi(StreamObserver<Msg> responses) {
    calls.incrementAndGet();
    return new StreamObserver<>() {
      @Override
      public void onNext(Msg message) {
        responses.onNext(Msg.newBuilder().setText("pong:" + message.getText()).build());
      }

      @Override
      public void onError(Throwable t) {
        cancelled.add("bidi");
      }

      @Override
      public void onCompleted() {
        responses.onCompleted();
      }
    };
  }

  /** Messages Flood has handed to the transport so far. */
  final AtomicInteger flooded = new AtomicInteger();

  @Override
  public void flood(Msg request, StreamObserver<Msg> responses) {
    calls.incrementAndGet();
    ServerCallStreamObserver<Msg> observer = (ServerCallStreamObserver<Msg>) responses;
    Msg chunk = Msg.newBuilder().setPayload(request.getPayload()).build();
    AtomicInteger sent = new AtomicInteger();
    observer.setOnReadyHandler(
        () -> {
          while (observer.isReady() && sent.get() < request.getCount()) {
            sent.incrementAndGet();
            flooded.incrementAndGet();
            observer.onNext(chunk);
          }
          if (sent.getAndUpdate(n -> n == request.getCount() ? n + 1 : n) == request.getCount()) {
            observer.onCompleted();
          }
        });
    observer.setOnCancelHandler(() -> cancelled.add("flood"));
  }

  private static void fail(Msg request, StreamObserver<Msg> responses) {
    Metadata trailers = new Metadata();
    trailers.put(TRAILER, "t-" + request.getText());
    trailers.put(TRAILER_BIN, new byte[] {0, (byte) 0xff, 10, 13});
    responses.onError(
        Status.fromCodeValue(request.getStatus())
            .withDescription(request.getStatusMessage())
            .asRuntimeException(trailers));
  }

  /** Sends every request header back as response header {@code echo-<key>}. */
  private static final class EchoHeaders implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      ServerCall<Q, R> echoing =
          new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
              for (String key : headers.keys()) {
                if (key.startsWith("x-") || key.startsWith("trace")) { // traceparent, tracestate
                  if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    Metadata.Key<byte[]> in = Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER);
                    Metadata.Key<byte[]> out =
                        Metadata.Key.of("echo-" + key, Metadata.BINARY_BYTE_MARSHALLER);
                    headers.getAll(in).forEach(value -> responseHeaders.put(out, value));
                  } else {
                    Metadata.Key<String> in =
                        Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER);
                    Metadata.Key<String> out =
                        Metadata.Key.of("echo-" + key, Metadata.ASCII_STRING_MARSHALLER);
                    headers.getAll(in).forEach(value -> responseHeaders.put(out, value));
                  }
                }
              }
              super.sendHeaders(responseHeaders);
            }
          };
      return Contexts.interceptCall(
          Context.current().withValue(HEADERS, headers), echoing, headers, next);
    }
  }

  @Override
  public void close() {
    server.shutdownNow();
    timer.shutdownNow();
  }
}
