package dev.ferry.e2e;

import static dev.ferry.e2e.AdminProbes.awaitNotReady;
import static dev.ferry.e2e.AdminProbes.awaitNothingPending;
import static dev.ferry.e2e.AdminProbes.awaitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.client.ClientSidecar;
import dev.ferry.client.ClientSidecarMain;
import dev.ferry.e2e.TaggedCalls.Outcome;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.Topology;
import dev.ferry.server.ServerSidecar;
import dev.ferry.server.ServerSidecarMain;
import dev.ferry.testing.OwnedBroker;
import dev.ferry.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Both sidecars on a RabbitMQ node this test owns ({@link OwnedBroker}) and really stops and
 * starts: the RabbitMQ application ({@code rabbitmqctl stop_app}/{@code start_app}: every
 * connection closed, the port refusing) with requests in flight, and the whole node ({@code
 * rabbitmqctl stop}, the process gone) with a request waiting in the durable request queue. Each
 * checks the invariants of {@link TaggedCalls} (exactly one outcome per request by its deadline,
 * its own answer or a marked sidecar error), that both sidecars are not ready while the broker is
 * away and ready after, that new requests succeed and that nothing is left pending. One more test
 * runs the pair over TLS: server certificate checked against the test CA, the server sidecar logged
 * in by its client certificate (SASL EXTERNAL), the client by a password file.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BrokerRestartIT {
  private static final Logger logger = LoggerFactory.getLogger(BrokerRestartIT.class);
  private static final Duration DEADLINE = Duration.ofSeconds(8);

  @RegisterExtension static final OwnedBroker broker = new OwnedBroker();
  private static EchoServer echo;

  private final List<AutoCloseable> started = new ArrayList<>();

  @TempDir Path tmp;

  @BeforeAll
  static void startEcho() {
    echo = EchoServer.start("127.0.0.1", 0);
  }

  @AfterAll
  static void stopEcho() {
    echo.close();
  }

  @AfterEach
  void closeSidecars() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }

  @Test
  void requestsInFlightWhileTheBrokerRestartsEndOnceAndServiceResumes() throws Exception {
    String service = "restart-app";
    ClientSidecar client = client(service, "--amqp-uri", broker.uri());
    ServerSidecar server = server(service, "--amqp-uri", broker.uri());
    assertAllSucceed(new TaggedCalls(client.httpPort(), "before-restart"), 3);
    TaggedCalls calls = new TaggedCalls(client.httpPort(), "in-flight");
    long executedBefore = echo.requests();
    for (int i = 0; i < 40; i++) {
      calls.send(i % 2 == 0 ? "" : "delay=300", DEADLINE);
    }
    await().until(() -> echo.requests() - executedBefore >= 5);

    long stopping = System.nanoTime();
    broker.stopApp();
    logger.info("stop_app took {} ms", millisSince(stopping));

    assertThat(OwnedBroker.accepts(broker.amqpPort())).as("AMQP port while stopped").isFalse();
    awaitNotReady(client.adminPort(), "broker");
    awaitNotReady(server.adminPort(), "broker");
    Outcome duringOutage = new TaggedCalls(client.httpPort(), "outage").call("", DEADLINE);
    assertThat(duringOutage.kind()).isEqualTo("503 broker-unavailable");

    long starting = System.nanoTime();
    broker.startApp();
    logger.info("start_app took {} ms", millisSince(starting));

    awaitReady(client.adminPort());
    awaitReady(server.adminPort());
    List<Outcome> inFlight = calls.awaitAll();
    logger.info("broker restart: in-flight outcomes {}", TaggedCalls.tally(inFlight));
    TaggedCalls.assertInvariants(inFlight);
    assertAllSucceed(new TaggedCalls(client.httpPort(), "after-restart"), 10);
    awaitNothingPending(client.adminPort());
  }

  @Test
  void aRequestWaitingInTheQueueSurvivesAFullNodeRestart() throws Exception {
    String service = "restart-node";
    ClientSidecar client = client(service, "--amqp-uri", broker.uri());
    ServerSidecar first = server(service, "--amqp-uri", broker.uri());
    assertAllSucceed(new TaggedCalls(client.httpPort(), "before-node-restart"), 3);
    first.close(); // No server sidecar: the next request waits in the durable request queue.
    TaggedCalls waiting = new TaggedCalls(client.httpPort(), "waiting");
    CompletableFuture<Outcome> queued = waiting.send("", Duration.ofSeconds(90));
    await().until(() -> requestsWaiting(service) == 1);

    broker.stop();

    assertThat(OwnedBroker.accepts(broker.amqpPort())).as("AMQP port while stopped").isFalse();
    awaitNotReady(client.adminPort(), "broker");
    assertThat(queued).isNotDone();

    broker.start();

    awaitReady(client.adminPort());
    assertThat(requestsWaiting(service)).as("requests kept across the restart").isEqualTo(1);
    ServerSidecar second = server(service, "--amqp-uri", broker.uri());
    awaitReady(second.adminPort());
    Outcome answered = queued.get(60, TimeUnit.SECONDS);
    TaggedCalls.assertInvariants(List.of(answered));
    assertThat(answered.kind()).isEqualTo("200");
    assertAllSucceed(new TaggedCalls(client.httpPort(), "after-node-restart"), 10);
    awaitNothingPending(client.adminPort());
  }

  @Test
  void theSidecarsWorkOverTlsWithAClientCertificateAndAPasswordFile() throws Exception {
    String service = "over-tls";
    String ca = broker.certificates().caFile().toString();
    Path password = tmp.resolve("password");
    Files.writeString(password, "guest\n");
    TestCertificates.Client certificate = broker.externalClient();
    ClientSidecar client =
        client(
            service,
            "--amqp-uri",
            "amqps://guest@localhost:" + broker.tlsPort() + "/",
            "--amqp-password-file",
            password.toString(),
            "--amqp-ca-file",
            ca);
    ServerSidecar server =
        server(
            service,
            "--amqp-uri",
            "amqps://localhost:" + broker.tlsPort() + "/",
            "--amqp-ca-file",
            ca,
            "--amqp-cert-file",
            certificate.certFile().toString(),
            "--amqp-key-file",
            certificate.keyFile().toString(),
            "--amqp-sasl",
            "external");
    awaitReady(server.adminPort());

    assertAllSucceed(new TaggedCalls(client.httpPort(), "over-tls"), 10);

    // What the broker says: both connections are TLS, the server sidecar's user is its certificate.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        broker
                            .rabbitmqctl(
                                "list_connections",
                                "--quiet",
                                "--no-table-headers",
                                "user",
                                "ssl",
                                "auth_mechanism")
                            .lines()
                            .map(line -> line.trim().replaceAll("\\s+", " ")))
                    .containsExactlyInAnyOrder(
                        "guest true PLAIN", OwnedBroker.EXTERNAL_USER + " true EXTERNAL"));
    awaitNothingPending(client.adminPort());
  }

  @Test
  void aSidecarThatDoesNotTrustTheBrokerStopsAtOnceSayingWhy() throws Exception {
    TestCertificates other = TestCertificates.create(tmp.resolve("other-pki"));
    long begun = System.nanoTime();

    assertThatThrownBy(
            () ->
                client(
                    "untrusted",
                    "--amqp-uri",
                    broker.tlsUri(),
                    "--amqp-ca-file",
                    other.caFile().toString()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("broker TLS handshake failed")
        .hasMessageContaining("--amqp-ca-file")
        .hasMessageNotContaining("guest:guest");
    assertThat(Duration.ofNanos(System.nanoTime() - begun)).isLessThan(Duration.ofSeconds(10));
  }

  private ClientSidecar client(String service, String... brokerFlags) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--service",
                service,
                "--http-host",
                "127.0.0.1",
                "--http-port",
                "0",
                "--grpc-port",
                "0",
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                "0"));
    args.addAll(List.of(brokerFlags));
    ClientSidecar client = ClientSidecarMain.start(args.toArray(String[]::new));
    started.add(client);
    return client;
  }

  private ServerSidecar server(String service, String... brokerFlags) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--service",
                service,
                "--upstream",
                "http://127.0.0.1:" + echo.port(),
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                "0",
                "--drain-timeout",
                "5s"));
    args.addAll(List.of(brokerFlags));
    ServerSidecar server = ServerSidecarMain.start(args.toArray(String[]::new));
    started.add(server);
    return server;
  }

  /** Requests ready in {@code ferry.req.<service>}, as the broker counts them. */
  private static long requestsWaiting(String service) throws Exception {
    try (Connection connection = broker.newConnection();
        Channel channel = connection.createChannel()) {
      return channel.queueDeclarePassive(Topology.REQUEST_PREFIX + service).getMessageCount();
    }
  }

  private static void assertAllSucceed(TaggedCalls calls, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      calls.send(i % 2 == 0 ? "" : "delay=50", DEADLINE);
    }
    List<Outcome> outcomes = calls.awaitAll();
    TaggedCalls.assertInvariants(outcomes);
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
