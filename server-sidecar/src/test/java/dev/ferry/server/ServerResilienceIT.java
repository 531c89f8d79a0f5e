package dev.ferry.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The circuit breaker and the retries of a whole server sidecar, on a real broker, against real
 * services that fail as told.
 */
class ServerResilienceIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final List<AutoCloseable> resources = new ArrayList<>();
  private Connection connection;
  private Channel channel;
  private String service;
  private String replyQueue;
  private ServerSidecar sidecar;

  @BeforeEach
  void setUp() throws Exception {
    connection = broker.newConnection();
    channel = connection.createChannel();
    channel.confirmSelect();
    service = broker.newService("resilience");
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
  void stopsTakingRequestsWhileTheServiceAnswers503AndServesThemOnceItRecovers() throws Exception {
    ScriptedUpstream upstream = keep(ScriptedUpstream.start());
    upstream.answerAlways(503);
    start(upstream.uri(), "--circuit-open-duration", "3s");

    for (int i = 0; i < 5; i++) {
      publishRequest("failing-" + i, "POST", "/orders");
      ResponseEnvelope reply = awaitReply();
      assertThat(reply.status()).isEqualTo(503);
      assertThat(reply.error()).isNull(); // The service's own answer, passed on.
    }

    await().atMost(PATIENCE).until(() -> consumers() == 0);
    assertThat(readyz()).startsWith("not ready:").contains("circuit");
    assertThat(metrics()).contains("ferry_upstream_circuit_state{upstream=\"http\"} 2.0");
    upstream.answerAlways(200);
    publishRequest("waiting", "POST", "/orders");
    assertThat(messages()).isEqualTo(1); // Left for a healthy replica, or for later.

    ResponseEnvelope reply = awaitReply(); // The trial request, once the circuit half-opens.
    assertThat(reply.correlationId()).isEqualTo("waiting");
    assertThat(reply.status()).isEqualTo(200);
    await().atMost(PATIENCE).until(() -> readyz().equals("ready\n") && consumers() == 1);
    assertThat(metrics()).contains("ferry_upstream_circuit_state{upstream=\"http\"} 0.0");
    assertThat(upstream.calls()).isEqualTo(6);
  }

  @Test
  void answersAtOnceWhenTheServiceGoesAwayThenWaitsForItToComeBack() throws Exception {
    int port = CountingUpstream.freePort();
    CountingUpstream first = CountingUpstream.start(port);
    start("http://127.0.0.1:" + port, "--circuit-open-duration", "1s");
    first.close();

    long started = System.nanoTime();
    publishRequest("lost", "GET", "/x");
    ResponseEnvelope lost = awaitReply();

    // Its connection attempts opened the circuit: no waiting out its 60 s budget.
    assertThat(lost.error()).isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    await().atMost(PATIENCE).until(() -> consumers() == 0);
    assertThat(readyz()).contains("circuit");
    publishRequest("queued", "GET", "/y");
    assertThat(messages()).isEqualTo(1);

    CountingUpstream second = keep(CountingUpstream.start(port));

    ResponseEnvelope served = awaitReply();
    assertThat(served.correlationId()).isEqualTo("queued");
    assertThat(served.status()).isEqualTo(200);
    assertThat(new String(served.body(), UTF_8)).isEqualTo("hello /y");
    assertThat(second.calls()).isEqualTo(1);
    await().atMost(PATIENCE).until(() -> readyz().equals("ready\n"));
  }

  @Test
  void retriesAGetAnswered503AfterItsRetryAfterButNeverAPost() throws Exception {
    ScriptedUpstream upstream = keep(ScriptedUpstream.start());
    start(upstream.uri());

    upstream.then(503, "1");
    publishRequest("get", "GET", "/items/1");
    ResponseEnvelope get = awaitReply();

    assertThat(get.status()).isEqualTo(200);
    List<ScriptedUpstream.Call> calls = upstream.callList();
    assertThat(calls).hasSize(2);
    assertThat(Duration.ofNanos(calls.get(1).atNanos() - calls.get(0).atNanos()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(950));
    assertThat(metrics()).contains(retries(1));

    upstream.then(503, "1");
    publishRequest("post", "POST", "/items");
    ResponseEnvelope post = awaitReply();

    assertThat(post.status()).isEqualTo(503);
    assertThat(post.error()).isNull();
    assertThat(upstream.calls()).isEqualTo(3);
    assertThat(metrics()).contains(retries(1));
  }

  @Test
  void returnsTheServicesAnswerWhenItsRetryAfterOutlastsTheDeadline() throws Exception {
    ScriptedUpstream upstream = keep(ScriptedUpstream.start());
    start(upstream.uri());

    upstream.then(503, "120");
    publishRequest("patient", "GET", "/later");

    ResponseEnvelope reply = awaitReply();
    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers())
        .anySatisfy(header -> assertThat(header.name()).isEqualToIgnoringCase("retry-after"));
    assertThat(upstream.calls()).isEqualTo(1);
  }

  @Test
  void stopsRetryingOnceTheRetryBudgetIsSpent() throws Exception {
    ScriptedUpstream upstream = keep(ScriptedUpstream.start());
    upstream.answerAlways(502); // Retried, but not a failure for the circuit: it stays closed.
    start(upstream.uri(), "--max-retries", "1", "--retry-budget", "20");

    for (int i = 0; i < 21; i++) {
      publishRequest("bad-gateway-" + i, "GET", "/x");
      assertThat(awaitReply().status()).isEqualTo(502);
    }

    // A burst of 10 retries, then one for every five requests: the first 12 requests are retried,
    // then only the 16th and the 21st.
    assertThat(metrics()).contains(retries(14));
    assertThat(upstream.calls()).isEqualTo(21 + 14);
    assertThat(readyz()).isEqualTo("ready\n");
  }

  private void start(String upstream, String... extra) throws Exception {
    String[] base = {
      "--amqp-uri", broker.uri(),
      "--service", service,
      "--upstream", upstream,
      "--admin-host", "127.0.0.1",
      "--admin-port", "0",
      "--queue-type", "classic",
      "--drain-timeout", "5s"
    };
    String[] args = Stream.concat(Arrays.stream(base), Arrays.stream(extra)).toArray(String[]::new);
    sidecar = keep(ServerSidecarMain.start(args));
  }

  private void publishRequest(String correlationId, String method, String target) throws Exception {
    long now = System.currentTimeMillis();
    AmqpMessage message =
        EnvelopeCodec.encodeRequest(
            new RequestEnvelope(
                CallKind.HTTP,
                method,
                target,
                List.of(),
                new byte[0],
                "m-" + correlationId,
                correlationId,
                replyQueue,
                now,
                now + 60_000));
    channel.basicPublish("", Topology.requestQueue(service), message.properties(), message.body());
    channel.waitForConfirmsOrDie(10_000);
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

  private long consumers() throws Exception {
    try (Channel probe = connection.createChannel()) {
      return probe.queueDeclarePassive(Topology.requestQueue(service)).getConsumerCount();
    }
  }

  private long messages() throws Exception {
    try (Channel probe = connection.createChannel()) {
      return probe.queueDeclarePassive(Topology.requestQueue(service)).getMessageCount();
    }
  }

  private static String retries(int count) {
    return "ferry_upstream_retries_total{upstream=\"http\"} " + count + ".0";
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
            .timeout(Duration.of(10, TimeUnit.SECONDS.toChronoUnit()))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }
}
