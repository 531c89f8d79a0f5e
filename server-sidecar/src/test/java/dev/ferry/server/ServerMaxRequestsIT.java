package dev.ferry.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.common.Topologies;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.ResponseEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --max-requests}: the server sidecar takes that many requests from a real broker, answers
 * them through a real HTTP service, and stops by itself, leaving the rest in the queue untouched.
 */
class ServerMaxRequestsIT {
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
    service = broker.newService("max-requests");
    replyQueue = Topology.replyQueue(service);
    broker.deleteAfterTest(replyQueue);
    Topologies.declareReplyQueue(channel, replyQueue);
    Topologies.declareRequestQueue(connection, service, QueueType.CLASSIC);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    connection.close();
  }

  @Test
  void answersOneRequestAndStopsLeavingTheOthersInTheQueue() throws Exception {
    CountingUpstream upstream = keep(CountingUpstream.start());
    publishRequests(3);

    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri(), "1", "16")));

    sidecar.stopped().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(upstream.calls()).isEqualTo(1);
    ResponseEnvelope reply = nextReply();
    assertThat(reply.correlationId()).isEqualTo("r-1");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(new String(reply.body(), UTF_8)).isEqualTo("hello /r-1");
    assertThat(channel.basicGet(replyQueue, true)).isNull();
    assertThat(queueState()).isEqualTo(new QueueState(2, 0));
    assertUnexecuted("r-2", "r-3");
  }

  @Test
  void takesExactlyMaxRequestsWhateverTheConcurrency() throws Exception {
    CountingUpstream upstream = keep(CountingUpstream.start());
    publishRequests(5);

    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri(), "2", "16")));

    sidecar.stopped().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(upstream.calls()).isEqualTo(2);
    List<String> answered = List.of(nextReply().correlationId(), nextReply().correlationId());
    assertThat(answered).containsExactlyInAnyOrder("r-1", "r-2");
    assertThat(channel.basicGet(replyQueue, true)).isNull();
    assertThat(queueState()).isEqualTo(new QueueState(3, 0));
    assertUnexecuted("r-3", "r-4", "r-5");
  }

  @Test
  void turnsNotReadyOnceItHasTakenItsLastRequestAndStopsOnceItIsAnswered() throws Exception {
    HeldUpstream upstream = keep(HeldUpstream.start());
    publishRequests(2);
    ServerSidecar sidecar = keep(ServerSidecarMain.start(args(upstream.uri(), "1", "4")));
    await().atMost(PATIENCE).until(() -> upstream.calls() == 1);

    await()
        .atMost(PATIENCE)
        .untilAsserted(
            () -> {
              assertThat(readyz(sidecar)).contains("max-requests", "consuming");
              assertThat(queueState().consumers()).isZero();
            });
    assertThat(sidecar.stopped()).isNotDone();

    upstream.release();

    sidecar.stopped().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(nextReply().correlationId()).isEqualTo("r-1");
    assertThat(upstream.calls()).isEqualTo(1);
    assertThat(queueState()).isEqualTo(new QueueState(1, 0));
  }

  private String[] args(String upstream, String maxRequests, String concurrency) {
    return new String[] {
      "--amqp-uri",
      broker.uri(),
      "--service",
      service,
      "--upstream",
      upstream,
      "--admin-host",
      "127.0.0.1",
      "--admin-port",
      "0",
      "--queue-type",
      "classic",
      "--drain-timeout",
      "5s",
      "--concurrency",
      concurrency,
      "--max-requests",
      maxRequests
    };
  }

  /** Publishes requests {@code r-1} … {@code r-count} for {@code /r-1} … in that order. */
  private void publishRequests(int count) throws Exception {
    long now = System.currentTimeMillis();
    for (int i = 1; i <= count; i++) {
      String correlationId = "r-" + i;
      AmqpMessage message =
          EnvelopeCodec.encodeRequest(
              new RequestEnvelope(
                  CallKind.HTTP,
                  "GET",
                  "/" + correlationId,
                  List.of(),
                  new byte[0],
                  "m-" + correlationId,
                  correlationId,
                  replyQueue,
                  now,
                  now + 60_000));
      channel.basicPublish(
          "", Topology.requestQueue(service), message.properties(), message.body());
    }
    channel.waitForConfirmsOrDie(10_000);
  }

  private ResponseEnvelope nextReply() throws Exception {
    GetResponse got = channel.basicGet(replyQueue, true);
    assertThat(got).as("a reply").isNotNull();
    return EnvelopeCodec.decodeResponse(got.getProps(), got.getBody());
  }

  /**
   * Takes the requests left in the queue: exactly {@code correlationIds}, in order, each still as
   * it was published (never delivered, or returned to the queue unstarted).
   */
  private void assertUnexecuted(String... correlationIds) throws Exception {
    for (String correlationId : correlationIds) {
      GetResponse got = channel.basicGet(Topology.requestQueue(service), true);
      assertThat(got).as(correlationId).isNotNull();
      AMQP.BasicProperties properties = got.getProps();
      assertThat(properties.getCorrelationId()).isEqualTo(correlationId);
      RequestEnvelope request = EnvelopeCodec.decodeRequest(properties, got.getBody());
      assertThat(request.target()).isEqualTo("/" + correlationId);
    }
    assertThat(channel.basicGet(Topology.requestQueue(service), true)).isNull();
  }

  /** Requests ready in the request queue, and its consumers. */
  private record QueueState(long ready, long consumers) {}

  private QueueState queueState() throws Exception {
    try (Channel probe = connection.createChannel()) {
      AMQP.Queue.DeclareOk ok = probe.queueDeclarePassive(Topology.requestQueue(service));
      return new QueueState(ok.getMessageCount(), ok.getConsumerCount());
    }
  }

  private static String readyz(ServerSidecar sidecar) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.adminPort() + "/readyz"))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }

  /** A service on 127.0.0.1 that holds every request until {@link #release()}, then answers 200. */
  private static final class HeldUpstream implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final AtomicInteger calls = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);

    private HeldUpstream(HttpServer server, ExecutorService executor) {
      this.server = server;
      this.executor = executor;
    }

    static HeldUpstream start() throws IOException {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      ExecutorService executor = Executors.newFixedThreadPool(4);
      HeldUpstream upstream = new HeldUpstream(server, executor);
      server.createContext("/", upstream::answer);
      server.setExecutor(executor);
      server.start();
      return upstream;
    }

    private void answer(HttpExchange exchange) throws IOException {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        calls.incrementAndGet();
        try {
          released.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        exchange.sendResponseHeaders(200, -1);
      }
    }

    String uri() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    int calls() {
      return calls.get();
    }

    void release() {
      released.countDown();
    }

    @Override
    public void close() {
      released.countDown();
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
