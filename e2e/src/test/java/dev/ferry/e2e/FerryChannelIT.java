package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.client.FerryCall;
import dev.ferry.client.FerryChannel;
import dev.ferry.client.FerryClient;
import dev.ferry.client.FerryClientConfig;
import dev.ferry.client.FerryStream;
import dev.ferry.client.FerryStreamListener;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.testing.RabbitBroker;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Ferry as an in-process library: generated gRPC stubs on a FerryChannel, and HTTP-style calls. */
class FerryChannelIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void runsGeneratedStubsOverRabbitMq() throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "library");
        FerryClient ferry = FerryClient.connect(config(), new SimpleMeterRegistry())) {
      pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
      TestServiceGrpc.TestServiceBlockingStub stub =
          TestServiceGrpc.newBlockingStub(FerryChannel.to(ferry, pair.service))
              .withDeadlineAfter(20, TimeUnit.SECONDS);

      assertThat(stub.unary(Msg.newBuilder().setText("lib").build()).getText())
          .isEqualTo("echo:lib");
      List<String> streamed = new ArrayList<>();
      stub.serverStream(Msg.newBuilder().setText("s").setCount(3).build())
          .forEachRemaining(m -> streamed.add(m.getText()));
      assertThat(streamed).containsExactly("s-0", "s-1", "s-2");
      assertThatThrownBy(
              () -> stub.unary(Msg.newBuilder().setStatus(5).setStatusMessage("gone").build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).isEqualTo("gone");
              });
    }
  }

  @Test
  void streamsFromAClientThatSendsOnlyWhenReady() throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "libstream");
        FerryClient ferry = FerryClient.connect(config(), new SimpleMeterRegistry())) {
      pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
      CompletableFuture<Msg> result = new CompletableFuture<>();
      AtomicInteger sent = new AtomicInteger();
      TestServiceGrpc.newStub(FerryChannel.to(ferry, pair.service))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .clientStream(
              new ClientResponseObserver<Msg, Msg>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Msg> requests) {
                  requests.setOnReadyHandler(
                      () -> {
                        while (requests.isReady() && sent.get() < 100) {
                          sent.incrementAndGet();
                          requests.onNext(Msg.newBuilder().setText("m").build());
                        }
                        if (sent.get() == 100 && sent.compareAndSet(100, 101)) {
                          requests.onCompleted();
                        }
                      });
                }

                @Override
                public void onNext(Msg msg) {
                  result.complete(msg);
                }

                @Override
                public void onError(Throwable t) {
                  result.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {}
              });

      assertThat(result.get(30, TimeUnit.SECONDS).getCount()).isEqualTo(100);
    }
  }

  @Test
  void aStreamIsUsedOnlyOnceStartedAndACancelBeforeStartStillEndsIt() throws Exception {
    try (FerryClient ferry = FerryClient.connect(config(), new SimpleMeterRegistry())) {
      CompletableFuture<GrpcStatus> closed = new CompletableFuture<>();
      FerryStream stream =
          ferry.newStream(
              "nobody",
              "x.Y/Z",
              List.of(),
              Duration.ofSeconds(5),
              true,
              null,
              new FerryStreamListener() {
                @Override
                public void onHeaders(List<Header> headers) {}

                @Override
                public void onMessage(byte[] message) {}

                @Override
                public void onReady() {}

                @Override
                public void onClose(GrpcStatus status, FerryError error) {
                  closed.complete(status);
                }
              });

      assertThatThrownBy(() -> stream.sendMessage(new byte[0]))
          .isInstanceOf(IllegalStateException.class);
      stream.cancel("changed my mind");
      assertThat(closed).isNotDone();
      stream.start();

      assertThat(closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(Status.Code.CANCELLED.value());
      assertThatThrownBy(stream::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void makesHttpStyleCallsAsFutures() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "libhttp");
        FerryClient ferry = FerryClient.connect(config(), new SimpleMeterRegistry())) {
      pair.server("http://127.0.0.1:" + echo.port());

      ResponseEnvelope response =
          ferry
              .call(
                  FerryCall.http(
                      pair.service,
                      "POST",
                      "/lib?x=1",
                      List.of(new Header("x-a", "1")),
                      "body".getBytes(StandardCharsets.UTF_8),
                      Duration.ofSeconds(20)))
              .get(30, TimeUnit.SECONDS);

      assertThat(response.status()).isEqualTo(200);
      assertThat(response.error()).isNull();
      assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("body");
      assertThat(response.headers()).contains(new Header("x-echo-uri", "/lib?x=1"));
    }
  }

  private static FerryClientConfig config() {
    return new FerryClientConfig(broker.uri(), QueueType.CLASSIC, 100, "ferry-library-test");
  }
}
