package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.testing.RabbitBroker;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One client sidecar in front of several services, chosen by route; unknown routes are refused. */
class RoutesIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final Metadata.Key<String> FERRY_ERROR =
      Metadata.Key.of("ferry-error", Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void routesByGrpcServiceAndHttpPathAndRefusesTheRest() throws Exception {
    try (TestGrpcService grpc = new TestGrpcService();
        EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair grpcPair = new Pair(broker, "rgrpc");
        Pair httpPair = new Pair(broker, "rhttp")) {
      grpcPair.serverWith("--upstream-grpc", "127.0.0.1:" + grpc.port());
      httpPair.server("http://127.0.0.1:" + echo.port());
      ClientSidecar client =
          grpcPair.clientWithout(
              "--service",
              "--route",
              "grpc:ferry.test.TestService=" + grpcPair.service,
              "--route",
              "path:/api=" + httpPair.service);
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
      try {
        assertThat(
                TestServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .unary(Msg.newBuilder().setText("r").build())
                    .getText())
            .isEqualTo("echo:r");
        HttpResponse<String> routed = Http.get(client.httpPort(), "/api/items?x=1");
        assertThat(routed.statusCode()).isEqualTo(200);
        assertThat(routed.headers().firstValue("x-echo-uri")).hasValue("/api/items?x=1");

        HttpResponse<String> unrouted = Http.get(client.httpPort(), "/elsewhere");
        assertThat(unrouted.statusCode()).isEqualTo(404);
        assertThat(unrouted.headers().firstValue("ferry-error")).hasValue("no-route");
        MethodDescriptor<Msg, Msg> other =
            TestServiceGrpc.getUnaryMethod().toBuilder()
                .setFullMethodName("other.Service/Call")
                .build();
        assertThatThrownBy(
                () ->
                    ClientCalls.blockingUnaryCall(
                        channel,
                        other,
                        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
                        Msg.getDefaultInstance()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
                  assertThat(e.getTrailers().get(FERRY_ERROR)).isEqualTo("no-route");
                });
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
