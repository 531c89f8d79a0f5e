package dev.ferry.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.common.Cli;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * A whole server sidecar on a real broker, with requests published and replies read the way a
 * client sidecar does, and a real HTTP service that counts its calls.
 */
class ServerSidecarIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final List<AutoCloseable> resources = new ArrayList<>();
  private Connection connection;
  private Channel channel;
  private String service;
  private String replyQueue;

  @BeforeEach
  void setUp() throws Exception {
    connection = broker.newConnection();
    channel = connection.createChannel();
    channel.confirmSelect();
    service = broker.newService("server");
    replyQueue = Topology.replyQueue(service);
    broker.deleteAfterTest(replyQueue);
    Topologies.declareReplyQueue(channel, replyQueue);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    connection.close();
  }

  @Test
  void consumesOnlyOnceTheServiceHasAcceptedAConnection() throws Exception {
    int port = CountingUpstream.freePort();
    Topologies.declareRequestQueue(connection, service, QueueType.CLASSIC);
    publishRequest("cold-1", "/hello");
    ServerSidecar sidecar = keep(sidecar("http://127.0.0.1:" + port));

    CompletableFuture<Void> started = startInBackground(sidecar);

    await()
        .atMost(PATIENCE)
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(readyz(sidecar)).contains("consuming", "upstream"));
    assertThat(consumers()).isZero();
    assertThat(started).isNotDone();
    CountingUpstream upstream = keep(CountingUpstream.start(port));
    ResponseEnvelope reply = awaitReply();
    assertThat(reply.correlationId()).isEqualTo("cold-1");
    assertThat(reply.error()).isNull();
    assertThat(reply.status()).isEqualTo(200);
    assertThat(new String(reply.body(), UTF_8)).isEqualTo("hello /hello");
    started.get(10, TimeUnit.SECONDS);
    assertThat(upstream.calls()).isEqualTo(1);
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(readyz(sidecar)).isEqualTo("ready\n"));
  }

  @Test
  void stopsCleanlyWhenClosedWhileWaitingForTheService() throws Exception {
    ServerSidecar sidecar = sidecar("http://127.0.0.1:" + CountingUpstream.freePort());
    CompletableFuture<Void> started = startInBackground(sidecar);
    await()
        .atMost(PATIENCE)
        .ignoreExceptions()
        .untilAsserted(() -> assertThat(readyz(sidecar)).contains("consuming"));
    publishRequest("waiting-1", "/x");

    sidecar.close();

    started.get(10, TimeUnit.SECONDS);
    assertThat(consumers()).isZero();
    assertThat(messages()).isEqualTo(1);
    sidecar.close(); // Idempotent.
  }

  @Test
  void publishesAReplyAgainWhenItsChannelIsClosedWithoutCallingTheServiceAgain() throws Exception {
    CountingUpstream upstream = keep(CountingUpstream.start());
    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri())));
    AmqpWriter writer = sidecar.writer();
    CountDownLatch gate = new CountDownLatch(1);
    // Holds the writer thread, so that the reply is published right behind a message that makes
    // the broker close the channel: the reply is lost with the channel.
    writer.execute(() -> awaitQuietly(gate));
    AtomicReference<String> refused = new AtomicReference<>();
    writer.publish(
        replyQueue, refusedByTheBroker(), AmqpWriter.Confirmation.of(() -> {}, refused::set));
    publishRequest("lost-1", "/first");
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(metrics(sidecar)).contains(okCount(1)));

    gate.countDown();

    ResponseEnvelope first = awaitReply();
    assertThat(first.correlationId()).isEqualTo("lost-1");
    assertThat(first.status()).isEqualTo(200);
    assertThat(refused.get()).contains("406");
    publishRequest("lost-2", "/second");
    ResponseEnvelope second = awaitReply();
    assertThat(second.correlationId()).isEqualTo("lost-2");
    assertThat(second.status()).isEqualTo(200);
    await().atMost(PATIENCE).until(() -> messages() == 0 && readyz(sidecar).equals("ready\n"));
    assertThat(upstream.calls()).isEqualTo(2);
    assertThat(metrics(sidecar)).contains(okCount(2));
    sidecar.close();
    assertThat(messages()).isZero(); // Both acked: nothing came back to the queue.
  }

  @Test
  void consumesAgainAfterTheRequestQueueIsDeleted() throws Exception {
    CountingUpstream upstream = keep(CountingUpstream.start());
    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri())));
    assertThat(consumers()).isEqualTo(1);

    try (Channel deleting = connection.createChannel()) {
      deleting.queueDelete(Topology.requestQueue(service));
    }

    await().atMost(PATIENCE).ignoreExceptions().until(() -> consumers() == 1);
    publishRequest("again-1", "/again");
    ResponseEnvelope reply = awaitReply();
    assertThat(reply.status()).isEqualTo(200);
    assertThat(upstream.calls()).isEqualTo(1);
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(readyz(sidecar)).isEqualTo("ready\n"));
  }

  @Test
  void deadLettersAPoisonRequestAndAnswersItsCallerWithoutCallingTheService() throws Exception {
    CountingUpstream upstream = keep(CountingUpstream.start());
    Topologies.declareRequestQueue(connection, service, QueueType.QUORUM);
    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri())));

    // As a quorum queue marks a request that crashed its consumers five times.
    publishRequest("poison-1", "/poison", Map.of("x-delivery-count", 5L));

    ResponseEnvelope reply = awaitReply();
    assertThat(reply.correlationId()).isEqualTo("poison-1");
    assertThat(reply.status()).isEqualTo(502);
    assertThat(reply.error()).isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(new String(reply.body(), UTF_8)).contains("delivered 5 times", "poison");
    GetResponse deadLetter = awaitMessage(Topology.deadLetterQueue(service));
    assertThat(deadLetter.getProps().getCorrelationId()).isEqualTo("poison-1");
    assertThat(deadLetter.getProps().getHeaders().get("ferry-dead-letter-reason"))
        .hasToString("delivered 5 times");
    await().atMost(PATIENCE).until(() -> messages() == 0 && readyz(sidecar).equals("ready\n"));
    assertThat(metrics(sidecar))
        .contains(
            "ferry_server_requests_total{outcome=\"poison\",service=\"" + service + "\"} 1.0");
    assertThat(upstream.calls()).isZero();

    publishRequest("healthy-1", "/healthy", Map.of("x-delivery-count", 4));
    assertThat(awaitReply().status()).isEqualTo(200);
    assertThat(upstream.calls()).isEqualTo(1);
  }

  private String[] args(String upstream) {
    return new String[] {
      "--amqp-uri", broker.uri(),
      "--service", service,
      "--upstream", upstream,
      "--admin-host", "127.0.0.1",
      "--admin-port", "0",
      "--queue-type", "classic",
      "--drain-timeout", "5s"
    };
  }

  /** A sidecar built as ServerSidecarMain builds it, not started. */
  private ServerSidecar sidecar(String upstream) {
    CommandLine commandLine = Cli.commandLine(new ServerSidecarMain(), Map.of());
    commandLine.parseArgs(args(upstream));
    return new ServerSidecar(commandLine.<ServerSidecarMain>getCommand().config());
  }

  private static CompletableFuture<Void> startInBackground(ServerSidecar sidecar) {
    CompletableFuture<Void> started = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                sidecar.start();
                started.complete(null);
              } catch (Exception e) {
                started.completeExceptionally(e);
              }
            },
            "test-sidecar-start");
    thread.setDaemon(true);
    thread.start();
    return started;
  }

  private void publishRequest(String correlationId, String target) throws Exception {
    publishRequest(correlationId, target, Map.of());
  }

  /** Publishes a request with {@code extraHeaders} added to its AMQP headers. */
  private void publishRequest(String correlationId, String target, Map<String, Object> extraHeaders)
      throws Exception {
    long now = System.currentTimeMillis();
    AmqpMessage message =
        EnvelopeCodec.encodeRequest(
            new RequestEnvelope(
                CallKind.HTTP,
                "GET",
                target,
                List.of(),
                new byte[0],
                "m-" + correlationId,
                correlationId,
                replyQueue,
                now,
                now + 60_000));
    Map<String, Object> headers = new HashMap<>(message.properties().getHeaders());
    headers.putAll(extraHeaders);
    AMQP.BasicProperties properties = message.properties().builder().headers(headers).build();
    channel.basicPublish("", Topology.requestQueue(service), properties, message.body());
    channel.waitForConfirmsOrDie(10_000);
  }

  private GetResponse awaitMessage(String queue) {
    AtomicReference<GetResponse> got = new AtomicReference<>();
    await()
        .atMost(PATIENCE)
        .until(
            () -> {
              got.set(channel.basicGet(queue, true));
              return got.get() != null;
            });
    return got.get();
  }

  private ResponseEnvelope awaitReply() throws Exception {
    AtomicReference<GetResponse> got = new AtomicReference<>();
    await()
        .atMost(PATIENCE)
        .until(
            () -> {
              got.set(channel.basicGet(replyQueue, true));
              return got.get() != null;
            });
    return EnvelopeCodec.decodeResponse(got.get().getProps(), got.get().getBody());
  }

  /** Consumers of the request queue; a missing queue throws. */
  private long consumers() throws Exception {
    try (Channel probe = connection.createChannel()) {
      return probe.queueDeclarePassive(Topology.requestQueue(service)).getConsumerCount();
    }
  }

  /** Requests ready in the queue (neither delivered nor requeued). */
  private long messages() throws Exception {
    try (Channel probe = connection.createChannel()) {
      return probe.queueDeclarePassive(Topology.requestQueue(service)).getMessageCount();
    }
  }

  private static String readyz(ServerSidecar sidecar) throws Exception {
    return get(sidecar.adminPort(), "/readyz");
  }

  private static String metrics(ServerSidecar sidecar) throws Exception {
    return get(sidecar.adminPort(), "/metrics");
  }

  private String okCount(int count) {
    return "ferry_server_requests_total{outcome=\"ok\",service=\""
        + service
        + "\"} "
        + count
        + ".0";
  }

  private static String get(int port, String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private static AmqpMessage refusedByTheBroker() {
    return new AmqpMessage(
        new AMQP.BasicProperties.Builder().userId("ferry-nobody").build(), new byte[0]);
  }

  private static void awaitQuietly(CountDownLatch gate) {
    try {
      gate.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }
}
