package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.testing.RabbitBroker;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Streams under stress: a caller that does not read, and a server sidecar that dies mid-call. */
class GrpcStreamingFaultsIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void aCallerThatDoesNotReadStopsTheServiceInsteadOfFillingTheSidecars() throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "flood")) {
      ClientSidecar client = pair.client();
      pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
      try {
        ClientCall<Msg, Msg> call =
            channel.newCall(
                TestServiceGrpc.getFloodMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        AtomicInteger received = new AtomicInteger();
        call.start(
            new ClientCall.Listener<>() {
              @Override
              public void onMessage(Msg message) {
                received.incrementAndGet(); // And asks for no more.
              }

              @Override
              public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
              }
            },
            new Metadata());
        call.request(1);
        call.sendMessage(
            Msg.newBuilder()
                .setCount(200_000)
                .setPayload(ByteString.copyFrom(new byte[1024]))
                .build());
        call.halfClose();

        AtomicInteger last = new AtomicInteger(-1);
        await()
            .atMost(Duration.ofSeconds(30))
            .during(Duration.ofSeconds(2))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () ->
                    last.getAndSet(service.flooded.get()) == service.flooded.get()
                        && service.flooded.get() > 0);

        // Held back by flow control: a few windows' worth, not the 200 000 messages (200 MB).
        assertThat(service.flooded.get()).isLessThan(10_000);
        assertThat(received.get()).isEqualTo(1);
        call.cancel("enough", null);
        assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
        await().atMost(Duration.ofSeconds(10)).until(() -> service.cancelled.contains("flood"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aCallWhoseServerSidecarDiesFailsWithUnavailable(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    try (TestGrpcService service = new TestGrpcService();
        Pair pair = new Pair(broker, "killed")) {
      ClientSidecar client = pair.client();
      ServerProcess started =
          ServerProcess.start(
              broker,
              pair.service,
              dir.resolve("server.log"),
              "--upstream-grpc",
              "127.0.0.1:" + service.port());
      Process server = started.process();
      int admin = started.adminPort();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> Http.get(admin, "/readyz").statusCode() == 200);
        LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
        StreamObserver<Msg> requests =
            TestServiceGrpc.newStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .bidi(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(Msg msg) {
                        received.add(msg.getText());
                      }

                      @Override
                      public void onError(Throwable t) {
                        received.add(Status.fromThrowable(t));
                      }

                      @Override
                      public void onCompleted() {
                        received.add(Status.OK);
                      }
                    });
        requests.onNext(Msg.newBuilder().setText("one").build());
        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("pong:one");

        server.destroyForcibly(); // SIGKILL: no drain, no goodbye.

        Object outcome = received.poll(20, TimeUnit.SECONDS);
        assertThat(outcome)
            .isInstanceOfSatisfying(
                Status.class,
                status -> {
                  assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                  assertThat(status.getDescription()).contains("upstream-unavailable");
                });
      } finally {
        channel.shutdownNow();
        server.destroyForcibly();
      }
    }
  }
}
