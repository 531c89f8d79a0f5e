package dev.ferry.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * gRPC calls through a whole server sidecar on a real broker, with starts and client frames
 * published the way a client sidecar does (and ways it must not), and a tiny real gRPC service.
 */
class ServerGrpcIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final Duration PATIENCE = Duration.ofSeconds(20);
  private static final int MAX_BODY_SIZE = 1024 * 1024;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private Connection connection;
  private Channel channel;
  private String service;
  private String replyQueue;
  private RawGrpcService upstream;
  private ServerSidecar sidecar;

  @BeforeEach
  void setUp() throws Exception {
    connection = broker.newConnection();
    channel = connection.createChannel();
    channel.confirmSelect();
    service = broker.newService("grpc");
    replyQueue = Topology.replyQueue(service);
    broker.deleteAfterTest(replyQueue);
    Topologies.declareReplyQueue(channel, replyQueue);
    upstream = keep(new RawGrpcService());
    sidecar = keep(ServerSidecarMain.start(args()));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    connection.close();
  }

  @Test
  void keepsTheCallQueueWorkingWhenFramesFollowACancel() throws Exception {
    String address = startStreaming("cancelled", "test.Raw/Hang");
    await().atMost(PATIENCE).until(() -> upstream.received("cancelled") == 1);

    // Back to back, so that they arrive while the upstream call is still being cancelled. The
    // half-close comes numbered both as if the cancel took a number and as if it did not.
    publishFrames(
        address,
        GrpcFrame.of("cancelled", 0).withCancel(),
        GrpcFrame.of("cancelled", 0).withHalfClose(),
        GrpcFrame.of("cancelled", 1).withHalfClose(),
        GrpcFrame.of("cancelled", 2).withMessage(bytes("late")));

    GrpcFrame last = awaitStatus();
    assertThat(last.status().code()).isEqualTo(1); // CANCELLED, for a caller that is gone.
    await().atMost(PATIENCE).until(() -> upstream.cancelled("cancelled"));
    assertCollectStillWorks();
  }

  @Test
  void countsFramesOfCallsThatDoNotRunHere() throws Exception {
    String address = startStreaming("known", "test.Raw/Hang");

    publishFrames(
        address,
        GrpcFrame.of("unknown", 0).withMessage(bytes("x")),
        GrpcFrame.of("unknown", 1).withHalfClose(),
        GrpcFrame.of("elsewhere", 0).withCancel()); // A cancel: remembered, not counted.

    await()
        .atMost(PATIENCE)
        .untilAsserted(
            () ->
                assertThat(metrics())
                    .contains(
                        "ferry_server_grpc_frames_unknown_total{service=\"" + service + "\"} 2.0"));
    publishFrame(address, GrpcFrame.of("known", 0).withCancel());
    assertThat(awaitStatus().status().code()).isEqualTo(1);
  }

  @Test
  void endsACallWithProtocolErrorOnAFrameOutOfOrderAndIgnoresTheRest() throws Exception {
    String address = startStreaming("gap", "test.Raw/Hang");

    publishFrames(
        address,
        GrpcFrame.of("gap", 5).withMessage(bytes("b")),
        GrpcFrame.of("gap", 1).withHalfClose(),
        GrpcFrame.of("gap", 2).withMessage(bytes("c")));

    GrpcFrame last = awaitStatus();
    assertCollectStillWorks();
    assertMarked(last, FerryError.PROTOCOL_ERROR);
    assertThat(last.status().message())
        .isEqualTo("ferry: protocol-error: client frame 5 out of order (expected 0)");
    await().atMost(PATIENCE).until(() -> upstream.cancelled("gap"));
  }

  @Test
  void endsACallWhoseClientSendsBeyondItsCredit() throws Exception {
    String address = startStreaming("flood", "test.Raw/Hold");

    // The service takes nothing: after its window is full, the sidecar would have to hold these.
    for (int seq = 0; seq < 40; seq++) {
      publishFrame(address, GrpcFrame.of("flood", seq).withMessage(new byte[64 * 1024]));
    }

    GrpcFrame last = awaitStatus();
    assertMarked(last, FerryError.PROTOCOL_ERROR);
    assertThat(last.status().message()).contains("messages on a credit of 16");
    await().atMost(PATIENCE).until(() -> upstream.cancelled("flood"));
    assertCollectStillWorks();
  }

  @Test
  void asksForNoResponseMessageOnAStartCreditOfZero() throws Exception {
    publishStart("zero", "test.Raw/Stream", bytes("3"), true, 0, 60_000);

    GrpcFrame first = nextFrame();
    assertThat(first.headers()).isNotNull();
    assertThat(first.message()).isNull();
    assertThat(first.status()).isNull();
    assertThat(first.callAddress()).isNotNull();
    assertNothingMoreFor(Duration.ofMillis(700));

    publishFrame(first.callAddress(), GrpcFrame.of("zero", 0).withCredit(10));

    List<GrpcFrame> rest = framesUntilStatus();
    List<String> messages = new ArrayList<>();
    for (GrpcFrame frame : rest) {
      if (frame.message() != null) {
        messages.add(text(frame.message()));
      }
    }
    assertThat(messages).containsExactly("m-0", "m-1", "m-2");
    assertThat(rest.get(rest.size() - 1).status().code()).isZero();
  }

  @Test
  void marksTheDeadlinePassingHereAsATimeoutWithoutTheServicesAddress() throws Exception {
    publishStart("slow", "test.Raw/Hang", bytes("a"), true, 16, 400);

    GrpcFrame last = awaitStatus();
    assertMarked(last, FerryError.TIMEOUT);
    assertThat(last.status().message())
        .startsWith("ferry: timeout: the service did not answer within ")
        .doesNotContain("127.0.0.1");
    await().atMost(PATIENCE).until(() -> upstream.cancelled("slow"));
  }

  @Test
  void passesTheServicesOwnStatusesThroughUnmarked() throws Exception {
    for (int code : new int[] {1, 4, 8, 13, 14}) {
      publishStart("own-" + code, "test.Raw/Status", bytes(String.valueOf(code)), true, 16, 60_000);

      GrpcFrame last = awaitStatus();
      assertThat(last.status().code()).isEqualTo(code);
      assertThat(last.status().message()).isEqualTo("service says no");
      assertThat(last.error()).isNull();
      assertThat(last.status().trailers()).containsExactly(new Header("x-trailer", "from-service"));
    }
  }

  @Test
  void marksAResponseMessageOverTheSizeLimitAsUpstreamInvalid() throws Exception {
    publishStart("big", "test.Raw/Big", bytes(String.valueOf(2 * MAX_BODY_SIZE)), true, 16, 60_000);

    GrpcFrame last = awaitStatus();
    assertMarked(last, FerryError.UPSTREAM_INVALID);
    assertThat(last.status().message())
        .isEqualTo(
            "ferry: upstream-invalid: a response message is larger than --max-body-size ("
                + MAX_BODY_SIZE
                + " bytes)");
  }

  @Test
  void marksAServiceThatCannotBeReachedAsUpstreamUnavailable() throws Exception {
    upstream.close();

    publishStart("down", "test.Raw/Collect", bytes("a"), true, 16, 60_000);

    GrpcFrame last = awaitStatus();
    assertMarked(last, FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(last.status().message()).doesNotContain("127.0.0.1");
  }

  @Test
  void triesAgainACallThatNeverReachedTheService() throws Exception {
    upstream.close();

    publishStart("refused", "test.Raw/Collect", bytes("a"), true, 16, 60_000);

    assertMarked(awaitStatus(), FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(metrics()).contains("ferry_upstream_retries_total{upstream=\"grpc\"} 2.0");
  }

  @Test
  void stopsTakingCallsOnceTheServiceCannotBeReached() throws Exception {
    upstream.close();

    // Three attempts each (two retries): the fifth failed attempt opens the circuit.
    for (String id : new String[] {"refused-1", "refused-2"}) {
      publishStart(id, "test.Raw/Collect", bytes("a"), true, 16, 60_000);
      assertMarked(awaitStatus(), FerryError.UPSTREAM_UNAVAILABLE);
    }

    await()
        .atMost(PATIENCE)
        .untilAsserted(() -> assertThat(readyz()).contains("circuit-grpc", "consuming"));
    assertThat(metrics()).contains("ferry_upstream_circuit_state{upstream=\"grpc\"} 2.0");
    publishStart("waiting", "test.Raw/Collect", bytes("a"), true, 16, 60_000);
    try (Channel probe = connection.createChannel()) {
      assertThat(probe.queueDeclarePassive(Topology.requestQueue(service)).getMessageCount())
          .isEqualTo(1);
    }
  }

  @Test
  void cancelsTheServiceWhenTheCallersReplyQueueIsGone() throws Exception {
    String address = startStreaming("gone", "test.Raw/Hang");
    channel.queueDelete(replyQueue);

    // Once the service has taken half a window, the sidecar grants more: a frame that comes back.
    for (int seq = 0; seq < 8; seq++) {
      publishFrame(address, GrpcFrame.of("gone", seq).withMessage(bytes("m")));
    }

    await().atMost(PATIENCE).until(() -> upstream.cancelled("gone"));
    assertThat(metrics()).contains("ferry_server_replies_returned_total{service=\"" + service);
  }

  @Test
  void endsTheCallWithBrokerUnavailableWhenAResponseFrameIsLost() throws Exception {
    String address = startStreaming("lost", "test.Raw/Hang");
    CountDownLatch gate = new CountDownLatch(1);
    AtomicReference<String> refused = holdTheWriterBehindARefusedMessage(gate);

    for (int seq = 0; seq < 8; seq++) {
      publishFrame(address, GrpcFrame.of("lost", seq).withMessage(bytes("m")));
    }
    await().atMost(PATIENCE).until(() -> upstream.received("lost") == 9);
    letTheSidecarQueueItsNextFrame();
    gate.countDown();

    GrpcFrame last = awaitStatus();
    assertMarked(last, FerryError.BROKER_UNAVAILABLE);
    assertThat(last.seq()).isEqualTo(2); // Frame 1, the credit, was lost with the channel.
    assertThat(refused.get()).contains("406");
    await().atMost(PATIENCE).until(() -> upstream.cancelled("lost"));
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(readyz()).isEqualTo("ready\n"));
  }

  @Test
  void returnsTheStartToTheQueueWithoutAWordWhenTheFirstFrameIsLost() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    holdTheWriterBehindARefusedMessage(gate);
    publishStart("rerun", "test.Raw/Hang", bytes("a"), false, 16, 60_000);
    await().atMost(PATIENCE).until(() -> upstream.started("rerun") == 1);
    letTheSidecarQueueItsNextFrame();

    gate.countDown();

    await().atMost(PATIENCE).until(() -> upstream.cancelled("rerun"));
    await().atMost(PATIENCE).until(() -> upstream.started("rerun") == 2);
    GrpcFrame first = nextFrame(); // The second run's.
    assertThat(first.seq()).isZero();
    assertThat(first.callAddress()).isNotNull();
    assertNothingMoreFor(Duration.ofSeconds(1)); // No CANCELLED from the first run.
    publishFrame(first.callAddress(), GrpcFrame.of("rerun", 0).withCancel());
    assertThat(awaitStatus().status().code()).isEqualTo(1);
  }

  /** A whole client-streaming call: the call queue still takes frames, and the sidecar is ready. */
  private void assertCollectStillWorks() throws Exception {
    String address = startStreaming("later", "test.Raw/Collect");
    publishFrame(address, GrpcFrame.of("later", 0).withMessage(bytes("y")));
    publishFrame(address, GrpcFrame.of("later", 1).withMessage(bytes("z")));
    publishFrame(address, GrpcFrame.of("later", 2).withHalfClose());

    List<GrpcFrame> frames = framesUntilStatus();
    GrpcFrame last = frames.get(frames.size() - 1);
    assertThat(last.message()).isNotNull();
    assertThat(text(last.message())).isEqualTo("3");
    assertThat(last.status().code()).isZero();
    assertThat(last.error()).isNull();
    assertThat(readyz()).isEqualTo("ready\n");
  }

  /** Starts a call whose client goes on streaming; returns its call address. */
  private String startStreaming(String id, String method) throws Exception {
    publishStart(id, method, bytes("a"), false, 16, 60_000);
    GrpcFrame first = nextFrame();
    assertThat(first.seq()).isZero();
    assertThat(first.credit()).isEqualTo(16);
    assertThat(first.callAddress()).startsWith(Topology.CALL_PREFIX);
    return first.callAddress();
  }

  private void publishStart(
      String id, String method, byte[] message, boolean halfClose, int credit, long timeoutMillis)
      throws Exception {
    long now = System.currentTimeMillis();
    RequestEnvelope request =
        new RequestEnvelope(
            CallKind.GRPC,
            method,
            "",
            List.of(new Header(RawGrpcService.TEST_ID.name(), id)),
            message,
            "m-" + id,
            id,
            replyQueue,
            now,
            now + timeoutMillis);
    AmqpMessage start = GrpcCodec.encodeStart(request, true, halfClose, credit);
    channel.basicPublish("", Topology.requestQueue(service), start.properties(), start.body());
    channel.waitForConfirmsOrDie(10_000);
  }

  private void publishFrame(String address, GrpcFrame frame) throws Exception {
    publishFrames(address, frame);
  }

  /** Publishes {@code frames} back to back, then waits for the broker to confirm them. */
  private void publishFrames(String address, GrpcFrame... frames) throws Exception {
    for (GrpcFrame frame : frames) {
      AmqpMessage message = GrpcCodec.encodeFrame(frame, System.currentTimeMillis());
      channel.basicPublish("", address, message.properties(), message.body());
    }
    channel.waitForConfirmsOrDie(10_000);
  }

  private GrpcFrame nextFrame() throws Exception {
    AtomicReference<GetResponse> got = new AtomicReference<>();
    await()
        .atMost(PATIENCE)
        .until(
            () -> {
              got.set(channel.basicGet(replyQueue, true));
              return got.get() != null;
            });
    return GrpcCodec.decodeFrame(got.get().getProps(), got.get().getBody());
  }

  private List<GrpcFrame> framesUntilStatus() throws Exception {
    List<GrpcFrame> frames = new ArrayList<>();
    GrpcFrame frame;
    do {
      frame = nextFrame();
      frames.add(frame);
    } while (frame.status() == null);
    return frames;
  }

  private GrpcFrame awaitStatus() throws Exception {
    List<GrpcFrame> frames = framesUntilStatus();
    return frames.get(frames.size() - 1);
  }

  private void assertNothingMoreFor(Duration quiet) {
    await()
        .during(quiet)
        .atMost(quiet.plusSeconds(5))
        .until(() -> channel.messageCount(replyQueue) == 0);
  }

  private static void assertMarked(GrpcFrame last, FerryError error) {
    GrpcStatus status = last.status();
    assertThat(last.error()).isEqualTo(error);
    assertThat(status.code()).isEqualTo(error.grpcCode());
    assertThat(status.message()).startsWith("ferry: " + error.code() + ": ");
    assertThat(status.trailers()).containsExactly(new Header("ferry-error", error.code()));
  }

  /**
   * Holds the writer thread, so that what the sidecar publishes next goes right behind a message
   * that makes the broker close the publishing channel: it is lost with the channel.
   */
  private AtomicReference<String> holdTheWriterBehindARefusedMessage(CountDownLatch gate) {
    AmqpWriter writer = sidecar.writer();
    writer.execute(() -> awaitQuietly(gate));
    AtomicReference<String> refused = new AtomicReference<>();
    AmqpMessage refusedByTheBroker =
        new AmqpMessage(
            new AMQP.BasicProperties.Builder().userId("ferry-nobody").build(), new byte[0]);
    writer.publish(
        replyQueue, refusedByTheBroker, AmqpWriter.Confirmation.of(() -> {}, refused::set));
    return refused;
  }

  /** The service saw the sidecar act; the frame it queued right after is a moment behind. */
  private static void letTheSidecarQueueItsNextFrame() throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(300);
  }

  private static void awaitQuietly(CountDownLatch gate) {
    try {
      gate.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String[] args() {
    return new String[] {
      "--amqp-uri",
      broker.uri(),
      "--service",
      service,
      "--upstream-grpc",
      "127.0.0.1:" + upstream.port(),
      "--admin-host",
      "127.0.0.1",
      "--admin-port",
      "0",
      "--queue-type",
      "classic",
      "--max-body-size",
      String.valueOf(MAX_BODY_SIZE),
      "--drain-timeout",
      "5s"
    };
  }

  private String readyz() throws IOException, InterruptedException {
    return get("/readyz");
  }

  private String metrics() throws IOException, InterruptedException {
    return get("/metrics");
  }

  private String get(String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + path))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, UTF_8);
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }
}
