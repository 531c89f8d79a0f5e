package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.testing.RabbitBroker;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Any gRPC client, pointed at the client sidecar, gets what the real service answers. */
class GrpcThroughFerryIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final int MAX_MESSAGE = 256 * 1024;
  private static final Metadata.Key<String> ASCII =
      Metadata.Key.of("x-team", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<byte[]> BINARY =
      Metadata.Key.of("x-token-bin", Metadata.BINARY_BYTE_MARSHALLER);
  private static final Metadata.Key<String> GRPC_TIMEOUT =
      Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> FERRY_ERROR =
      Metadata.Key.of("ferry-error", Metadata.ASCII_STRING_MARSHALLER);

  private static TestGrpcService service;
  private Pair pair;
  private ClientSidecar client;
  private ManagedChannel channel;
  private TestServiceGrpc.TestServiceBlockingStub blocking;

  @BeforeAll
  static void startService() throws Exception {
    service = new TestGrpcService();
  }

  @AfterAll
  static void stopService() {
    service.close();
  }

  @BeforeEach
  void startPair() throws Exception {
    pair = new Pair(broker, "grpc");
    client = pair.client("--max-body-size", Integer.toString(MAX_MESSAGE));
    pair.serverWith("--upstream-grpc", "127.0.0.1:" + service.port());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
    blocking = TestServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopPair() throws Exception {
    channel.shutdownNow();
    pair.close();
  }

  @Test
  void carriesAUnaryCallWithItsMetadataBothWays() {
    Metadata headers = new Metadata();
    headers.put(ASCII, "blue");
    headers.put(BINARY, new byte[] {0, 1, (byte) 0xfe, 10, 13});
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();

    Msg reply =
        blocking
            .withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers))
            .unary(
                Msg.newBuilder()
                    .setText("hi")
                    .setPayload(ByteString.copyFrom(new byte[] {9, 0, 9}))
                    .build());

    assertThat(reply.getText()).isEqualTo("echo:hi");
    assertThat(reply.getPayload().toByteArray()).containsExactly(9, 0, 9);
    assertThat(
            responseHeaders
                .get()
                .get(Metadata.Key.of("echo-x-team", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("blue");
    assertThat(
            responseHeaders
                .get()
                .get(Metadata.Key.of("echo-x-token-bin", Metadata.BINARY_BYTE_MARSHALLER)))
        .containsExactly(0, 1, 0xfe, 10, 13);
  }

  @Test
  void carriesAnEmptyMessage() {
    assertThat(blocking.unary(Msg.getDefaultInstance()).getText()).isEqualTo("echo:");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void passesEveryStatusOfTheServiceThroughExactly(int code) {
    String message = "nope: ünïcödé ✓ 100% %2F\n second line";

    assertThatThrownBy(
            () ->
                blocking.unary(
                    Msg.newBuilder()
                        .setText("s")
                        .setStatus(code)
                        .setStatusMessage(message)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode().value()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).isEqualTo(message);
              assertThat(e.getTrailers().get(TestGrpcService.TRAILER)).isEqualTo("t-s");
              assertThat(e.getTrailers().get(TestGrpcService.TRAILER_BIN))
                  .containsExactly(0, 0xff, 10, 13);
              assertThat(e.getTrailers().get(FERRY_ERROR)).isNull();
            });
  }

  @Test
  void streamsServerMessagesInOrder() {
    Iterator<Msg> replies =
        blocking.serverStream(Msg.newBuilder().setText("m").setCount(40).build());
    List<String> texts = new ArrayList<>();
    replies.forEachRemaining(msg -> texts.add(msg.getText()));

    assertThat(texts).hasSize(40).startsWith("m-0", "m-1").endsWith("m-39");
  }

  @Test
  void endsAnEmptyServerStreamWithItsStatus() {
    assertThat(blocking.serverStream(Msg.newBuilder().setCount(0).build())).isExhausted();
    Iterator<Msg> failing =
        blocking.serverStream(
            Msg.newBuilder()
                .setText("f")
                .setCount(2)
                .setStatus(9)
                .setStatusMessage("late")
                .build());
    assertThat(failing.next().getText()).isEqualTo("f-0");
    assertThat(failing.next().getText()).isEqualTo("f-1");
    assertThatThrownBy(failing::next)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void carriesClientStreamsIncludingAnEmptyOne() throws Exception {
    assertThat(clientStream(List.of("a", "b", "c")).getText()).isEqualTo("abc");
    Msg empty = clientStream(List.of());
    assertThat(empty.getText()).isEmpty();
    assertThat(empty.getCount()).isZero();
  }

  @Test
  void carriesLongClientStreamsBeyondTheCreditWindow() throws Exception {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      texts.add("x");
    }

    Msg joined = clientStream(texts);

    assertThat(joined.getCount()).isEqualTo(200);
    assertThat(joined.getText()).hasSize(200);
  }

  @Test
  void carriesManyBidirectionalMessagesSentWithoutWaiting() throws Exception {
    LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    StreamObserver<Msg> requests =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .bidi(observer(received));
    for (int i = 0; i < 150; i++) {
      requests.onNext(Msg.newBuilder().setText("b" + i).build());
    }
    requests.onCompleted();

    for (int i = 0; i < 150; i++) {
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("pong:b" + i);
    }
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
  }

  @Test
  void playsPingPongOnOneBidirectionalCall() throws Exception {
    LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    StreamObserver<Msg> requests =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .bidi(observer(received));
    for (int i = 0; i < 5; i++) {
      requests.onNext(Msg.newBuilder().setText("p" + i).build());
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("pong:p" + i);
    }
    requests.onCompleted();

    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
  }

  @Test
  void endsWithDeadlineExceededWhenTheDeadlinePasses() {
    long started = System.nanoTime();
    assertThatThrownBy(
            () ->
                TestServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                    .unary(Msg.newBuilder().setDelayMs(10_000).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ferry.test.TestService/NoSuchMethod", "no.such.Service/Call"})
  void passesTheServicesUnimplementedThroughForUnknownMethodsAndServices(String fullMethodName) {
    MethodDescriptor<Msg, Msg> unknown =
        TestServiceGrpc.getUnaryMethod().toBuilder().setFullMethodName(fullMethodName).build();

    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    unknown,
                    CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS),
                    Msg.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getTrailers().get(FERRY_ERROR)).isNull();
            });
  }

  @Test
  void acceptsAMessageNearTheLimitAndRefusesOneOverIt() {
    byte[] near = new byte[MAX_MESSAGE - 64];
    assertThat(
            blocking
                .unary(Msg.newBuilder().setPayload(ByteString.copyFrom(near)).build())
                .getPayload()
                .size())
        .isEqualTo(near.length);

    assertThatThrownBy(
            () ->
                blocking.unary(
                    Msg.newBuilder()
                        .setPayload(ByteString.copyFrom(new byte[MAX_MESSAGE + 10]))
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getTrailers().get(FERRY_ERROR)).isEqualTo("body-too-large");
            });
  }

  @Test
  void refusesMetadataOverTheHeaderLimitWithoutCallingTheService() {
    int before = service.calls.get();
    Metadata headers = new Metadata();
    // --max-header-size (32 KiB) is advertised in the HTTP/2 settings: grpc-java refuses to send
    // it (INTERNAL); a client that sent it anyway would be refused by the sidecar.
    headers.put(ASCII, "x".repeat(40 * 1024));

    assertThatThrownBy(
            () ->
                blocking
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .unary(Msg.newBuilder().setText("big-metadata").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getCode())
                    .isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.INTERNAL));
    assertThat(service.calls.get()).isEqualTo(before);
    assertThat(blocking.unary(Msg.newBuilder().setText("after").build()).getText())
        .isEqualTo("echo:after");
  }

  @Test
  void endsACallWhoseDeadlineHadPassedOnArrivalWithoutCallingTheService() throws Exception {
    int before = service.calls.get();
    // grpc-java never sends a call whose deadline has passed: the header is made by hand (the
    // call has no deadline of its own, so nothing replaces it) and says 1 ns.
    ClientStreamTracer.Factory expiredOnArrival =
        new ClientStreamTracer.Factory() {
          @Override
          public ClientStreamTracer newClientStreamTracer(
              ClientStreamTracer.StreamInfo info, Metadata headers) {
            return new ClientStreamTracer() {
              @Override
              public void streamCreated(io.grpc.Attributes transportAttrs, Metadata headers) {
                headers.put(GRPC_TIMEOUT, "1n");
              }
            };
          }
        };

    CompletableFuture<Status> closed = new CompletableFuture<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    ClientCall<Msg, Msg> call =
        channel.newCall(
            TestServiceGrpc.getUnaryMethod(),
            CallOptions.DEFAULT.withStreamTracerFactory(expiredOnArrival));
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata received) {
            trailers.set(received);
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(Msg.newBuilder().setText("too-late").build());
    call.halfClose();

    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    // Made by the client sidecar before it opens a stream: nothing was published.
    assertThat(trailers.get().get(FERRY_ERROR)).isEqualTo("timeout");
    assertThat(closed.join().getDescription()).contains("on arrival");
    assertThat(service.calls.get()).isEqualTo(before);
  }

  @Test
  void tellsTheServiceWhenTheCallerCancels() {
    int before = service.calls.get();
    ClientCall<Msg, Msg> call =
        channel.newCall(
            TestServiceGrpc.getUnaryMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(Msg.newBuilder().setText("cancel-me").setDelayMs(15_000).build());
    call.halfClose();
    await().atMost(Duration.ofSeconds(10)).until(() -> service.calls.get() > before);

    call.cancel("changed my mind", null);

    await().atMost(Duration.ofSeconds(10)).until(() -> service.cancelled.contains("cancel-me"));
    assertThat(closed.join().getCode()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void answersHealthChecksForTheSidecar() {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        HealthGrpc.newBlockingStub(channel)
                            .check(HealthCheckRequest.getDefaultInstance())
                            .getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING));
  }

  private Msg clientStream(List<String> texts) throws Exception {
    LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
    StreamObserver<Msg> requests =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .clientStream(observer(received));
    texts.forEach(text -> requests.onNext(Msg.newBuilder().setText(text).build()));
    requests.onCompleted();
    Object first = received.poll(10, TimeUnit.SECONDS);
    assertThat(first).isInstanceOf(Msg.class);
    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
    return (Msg) first;
  }

  /** Puts each message's text, then the final status code, on {@code received}. */
  private static StreamObserver<Msg> observer(LinkedBlockingQueue<Object> received) {
    return new StreamObserver<>() {
      @Override
      public void onNext(Msg msg) {
        received.add(msg.getText().startsWith("pong:") ? msg.getText() : msg);
      }

      @Override
      public void onError(Throwable t) {
        received.add(Status.fromThrowable(t).getCode());
      }

      @Override
      public void onCompleted() {
        received.add(Status.Code.OK);
      }
    };
  }
}
