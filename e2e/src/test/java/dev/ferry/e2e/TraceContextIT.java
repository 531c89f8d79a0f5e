package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.testing.RabbitBroker;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) crosses the queue unchanged, as the
 * ordinary end-to-end header (HTTP) or metadata (gRPC) it is; and the sidecars invent none.
 */
class TraceContextIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static final String TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  private static final String TRACESTATE = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
  private static final Metadata.Key<String> TRACEPARENT_KEY =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACESTATE_KEY =
      Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void carriesHttpTraceContextToTheServiceUnchanged() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "trace")) {
      ClientSidecar client = pair.client();
      pair.server("http://127.0.0.1:" + echo.port());

      HttpResponse<byte[]> traced =
          Http.send(
              Http.request(client.httpPort(), "/traced")
                  .header("traceparent", TRACEPARENT)
                  .header("tracestate", TRACESTATE)
                  .build());
      HttpResponse<byte[]> untraced = Http.send(Http.request(client.httpPort(), "/plain").build());

      assertThat(traced.statusCode()).isEqualTo(200);
      assertThat(traced.headers().allValues("x-echo-h-traceparent")).containsExactly(TRACEPARENT);
      assertThat(traced.headers().allValues("x-echo-h-tracestate")).containsExactly(TRACESTATE);
      assertThat(untraced.statusCode()).isEqualTo(200);
      assertThat(untraced.headers().map().keySet())
          .noneMatch(name -> name.startsWith("x-echo-h-trace"));
    }
  }

  @Test
  void carriesGrpcTraceContextToTheServiceUnchanged() throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "trace-grpc")) {
      ClientSidecar client = pair.client();
      pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
      try {
        Metadata headers = new Metadata();
        headers.put(TRACEPARENT_KEY, TRACEPARENT);
        headers.put(TRACESTATE_KEY, TRACESTATE);
        AtomicReference<Metadata> echoed = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();

        TestServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(echoed, trailers))
            .unary(Msg.newBuilder().setText("hi").build());

        assertThat(echoed.get().getAll(echoKey("traceparent"))).containsExactly(TRACEPARENT);
        assertThat(echoed.get().getAll(echoKey("tracestate"))).containsExactly(TRACESTATE);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static Metadata.Key<String> echoKey(String name) {
    return Metadata.Key.of("echo-" + name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
