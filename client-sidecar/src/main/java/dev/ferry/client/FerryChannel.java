package dev.ferry.client;

import dev.ferry.common.RawGrpc;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A gRPC {@link Channel} whose calls travel over RabbitMQ through Ferry, so that generated stubs
 * work unchanged: {@code FooGrpc.newBlockingStub(FerryChannel.to(ferryClient, "foo"))}. All four
 * call types work. Deadlines come from the call (or its context), else the channel's default;
 * sidecar-made statuses carry a {@code ferry-error} trailer. Thread-safe; the {@link FerryClient}
 * stays its caller's to close.
 */
public final class FerryChannel extends Channel {
  private final FerryClient client;
  private final Function<String, String> routes;
  private final Duration defaultTimeout;

  private FerryChannel(
      FerryClient client, Function<String, String> routes, Duration defaultTimeout) {
    this.client = client;
    this.routes = routes;
    this.defaultTimeout = defaultTimeout;
  }

  /** Every call to Ferry service {@code service}, with a 30 s default deadline. */
  public static FerryChannel to(FerryClient client, String service) {
    return new FerryChannel(client, grpcService -> service, FerryClientConfig.DEFAULT_TIMEOUT);
  }

  /**
   * Calls routed by gRPC service name ({@code pkg.Service}) to a Ferry service; a name it maps to
   * null fails with UNIMPLEMENTED and {@code ferry-error: no-route}.
   */
  public static FerryChannel routed(
      FerryClient client, Function<String, String> routes, Duration defaultTimeout) {
    return new FerryChannel(client, routes, defaultTimeout);
  }

  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    return new Call<>(method, options);
  }

  @Override
  public String authority() {
    return "ferry";
  }

  /** One call: the application's {@link ClientCall} on top of a {@link FerryStream}. */
  private final class Call<Q, R> extends ClientCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private final Context context = Context.current();
    private volatile FerryStream stream = FerryStreams.CLOSED;
    private final Context.CancellationListener onContextCancelled =
        cancelled -> stream.cancel("the call's context was cancelled");

    Call(MethodDescriptor<Q, R> method, CallOptions options) {
      this.method = method;
      this.options = options;
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      Executor events = options.getExecutor();
      String service = routes.apply(method.getServiceName());
      long timeoutMillis = timeoutMillis();
      if (service == null || timeoutMillis <= 0) {
        FerryError error = service == null ? FerryError.NO_ROUTE : FerryError.TIMEOUT;
        int code = service == null ? Status.Code.UNIMPLEMENTED.value() : error.grpcCode();
        String detail =
            service == null ? "no route for " + method.getServiceName() : "deadline passed";
        Runnable close =
            () ->
                listener.onClose(
                    Status.fromCodeValue(code)
                        .withDescription("ferry: " + error.code() + ": " + detail),
                    RawGrpc.metadata(List.of(new Header("ferry-error", error.code()))));
        stream = FerryStreams.CLOSED;
        (events != null ? events : (Executor) Runnable::run).execute(close);
        return;
      }
      FerryStream created =
          client.newStream(
              service,
              method.getFullMethodName(),
              RawGrpc.headers(headers),
              Duration.ofMillis(timeoutMillis),
              method.getType().clientSendsOneMessage(),
              events,
              new FerryStreamListener() {
                @Override
                public void onHeaders(List<Header> received) {
                  listener.onHeaders(RawGrpc.metadata(received));
                }

                @Override
                public void onMessage(byte[] message) {
                  R parsed;
                  try {
                    parsed = method.parseResponse(new ByteArrayInputStream(message));
                  } catch (RuntimeException e) {
                    stream.cancel("cannot parse the response: " + e.getMessage());
                    return;
                  }
                  listener.onMessage(parsed);
                }

                @Override
                public void onReady() {
                  listener.onReady();
                }

                @Override
                public void onClose(GrpcStatus status, FerryError error) {
                  context.removeListener(onContextCancelled);
                  listener.onClose(
                      Status.fromCodeValue(status.code()).withDescription(status.message()),
                      RawGrpc.metadata(status.trailers()));
                }
              });
      stream = created; // Before start(): the listener's events may use it at once.
      created.start();
      context.addListener(onContextCancelled, Runnable::run);
    }

    private long timeoutMillis() {
      Deadline deadline = options.getDeadline();
      Deadline inherited = Context.current().getDeadline();
      if (inherited != null && (deadline == null || inherited.isBefore(deadline))) {
        deadline = inherited;
      }
      return deadline == null
          ? defaultTimeout.toMillis()
          : deadline.timeRemaining(TimeUnit.MILLISECONDS);
    }

    @Override
    public void request(int count) {
      stream.request(count);
    }

    @Override
    public void cancel(String message, Throwable cause) {
      stream.cancel(message == null ? "cancelled" : message);
    }

    @Override
    public void halfClose() {
      stream.halfClose();
    }

    @Override
    public void sendMessage(Q message) {
      try (InputStream in = method.streamRequest(message)) {
        stream.sendMessage(in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (!method.getType().clientSendsOneMessage()) {
        stream.flush();
      }
    }

    @Override
    public boolean isReady() {
      return stream.isReady();
    }
  }
}
