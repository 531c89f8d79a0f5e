package dev.ferry.e2e;

import static dev.ferry.e2e.AdminProbes.assertNotReady;
import static dev.ferry.e2e.AdminProbes.awaitNotReady;
import static dev.ferry.e2e.AdminProbes.awaitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.ClientSidecar;
import dev.ferry.client.ClientSidecarMain;
import dev.ferry.common.Sidecar;
import dev.ferry.e2e.TaggedCalls.Outcome;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.server.ServerSidecar;
import dev.ferry.server.ServerSidecarMain;
import dev.ferry.testing.OwnedBroker;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker memory alarm ({@code connection.blocked}) with both sidecars running against a node of
 * the test's own ({@link OwnedBroker}: an alarm blocks every publisher on its node, so never the
 * shared broker), started once for the class; each test leaves the alarm cleared. The broker tells
 * a connection it is blocked only once that connection publishes during the alarm, so each test
 * first makes the sidecar publish. Checked: new requests get a fast, marked 503 instead of waiting;
 * the sidecars report not-ready naming {@code broker-alarm}; a request in flight ends with exactly
 * one outcome by its deadline; replies held by a blocked server sidecar go out once the alarm
 * clears; and both sidecars stop within their drain timeout while blocked, even with a publish
 * stuck in the socket.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BrokerAlarmIT {
  private static final Logger logger = LoggerFactory.getLogger(BrokerAlarmIT.class);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Duration DRAIN = Duration.ofSeconds(2);

  /** What a stop may take beyond the drain timeout: closing listeners, event loops, sockets. */
  private static final Duration TEARDOWN = Duration.ofSeconds(3);

  @RegisterExtension static final OwnedBroker node = new OwnedBroker();
  private static EchoServer echo;

  private final String service =
      "alarm-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  private final List<Sidecar> started = new ArrayList<>();

  @BeforeAll
  static void start() {
    echo = EchoServer.start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    if (echo != null) {
      echo.close();
    }
  }

  @AfterEach
  void clearAlarmAndClose() throws Exception {
    try {
      node.clearMemoryAlarm();
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        started.get(i).close();
      }
    }
  }

  @Test
  void answersNewRequestsAtOnceWith503WhileTheBrokerBlocksTheClient() throws Exception {
    ClientSidecar client = client();
    server();
    TaggedCalls calls = new TaggedCalls(client.httpPort(), "alarm");
    assertThat(calls.call("", Duration.ofSeconds(10)).kind()).isEqualTo("200");

    node.raiseMemoryAlarm();
    // The first publish during the alarm is what makes the broker block (and tell) the client.
    CompletableFuture<Outcome> first = calls.send("", Duration.ofSeconds(20));
    awaitNotReady(client.adminPort(), "broker-alarm");

    long sent = System.nanoTime();
    HttpResponse<String> refused =
        Http.CLIENT.send(
            Http.request(client.httpPort(), "/alarm/during").header("ferry-timeout", "10s").build(),
            HttpResponse.BodyHandlers.ofString());
    Duration took = Duration.ofNanos(System.nanoTime() - sent);
    assertThat(took).as("answered before its own deadline").isLessThan(Duration.ofSeconds(10));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("ferry-error")).hasValue("broker-unavailable");
    assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
    assertThat(refused.body()).contains("broker resource alarm");
    assertNotReady(client.adminPort(), "broker-alarm");

    node.clearMemoryAlarm();
    awaitReady(client.adminPort());
    Outcome firstOutcome = first.get(40, TimeUnit.SECONDS);
    logger.info(
        "request that met the alarm: {} after {}", firstOutcome.kind(), firstOutcome.took());
    TaggedCalls.assertInvariants(List.of(firstOutcome));
    assertAllSucceed(new TaggedCalls(client.httpPort(), "after-alarm"), 10);
  }

  @Test
  void publishesRepliesHeldByABlockedServerOnceTheAlarmClears() throws Exception {
    ClientSidecar client = client();
    ServerSidecar server = server();
    TaggedCalls calls = new TaggedCalls(client.httpPort(), "held");
    long before = echo.requests();
    CompletableFuture<Outcome> blocking = calls.send("delay=2000", Duration.ofSeconds(30));
    CompletableFuture<Outcome> held = calls.send("delay=4000", Duration.ofSeconds(30));
    long sent = System.nanoTime();
    await().until(() -> echo.requests() - before == 2);

    // The first reply, published during the alarm, is the broker's cue to block the server (that
    // publish itself still goes through); the second is written to a connection it does not read.
    node.raiseMemoryAlarm();
    awaitNotReady(server.adminPort(), "broker-alarm");
    long heldReplyDue = sent + TimeUnit.MILLISECONDS.toNanos(4000 + 1500);
    TimeUnit.NANOSECONDS.sleep(Math.max(0, heldReplyDue - System.nanoTime()));
    assertThat(held).as("a reply the blocked broker has not read").isNotDone();

    node.clearMemoryAlarm();
    List<Outcome> outcomes =
        List.of(blocking.get(40, TimeUnit.SECONDS), held.get(40, TimeUnit.SECONDS));
    TaggedCalls.assertInvariants(outcomes);
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
    awaitReady(server.adminPort());
    assertAllSucceed(new TaggedCalls(client.httpPort(), "after-held"), 10);
  }

  @Test
  void clientStopsWithinItsDrainTimeoutWhileBlocked() throws Exception {
    ClientSidecar client = client("--drain-timeout", DRAIN.toMillis() + "ms");
    node.raiseMemoryAlarm();
    // Larger than the socket buffers: the publish stays stuck in the socket while blocked.
    CompletableFuture<Outcome> stuck =
        new TaggedCalls(client.httpPort(), "stuck")
            .send("", Duration.ofSeconds(60), new byte[6 * 1024 * 1024]);
    awaitNotReady(client.adminPort(), "broker-alarm");

    assertThat(timeClose(client)).isLessThan(DRAIN.plus(TEARDOWN));
    Outcome outcome = stuck.get(30, TimeUnit.SECONDS);
    logger.info("request stuck in the blocked socket at stop: {}", outcome.kind());
    assertThat(outcome.status()).isNotEqualTo(200);
  }

  @Test
  void serverStopsWithinItsDrainTimeoutWhileBlocked() throws Exception {
    ClientSidecar client = client();
    ServerSidecar server = server("--drain-timeout", DRAIN.toMillis() + "ms");
    long before = echo.requests();
    // A reply larger than the socket buffers: the writer stays stuck in its publish.
    CompletableFuture<Outcome> inFlight =
        new TaggedCalls(client.httpPort(), "stuck-reply")
            .send("delay=3000&size=6MiB", Duration.ofSeconds(20));
    await().until(() -> echo.requests() > before);
    node.raiseMemoryAlarm();
    awaitNotReady(server.adminPort(), "broker-alarm");

    assertThat(timeClose(server)).isLessThan(DRAIN.plus(TEARDOWN));
    node.clearMemoryAlarm();
    // Not acknowledged, so back in the queue with no server to take it: the deadline ends it.
    Outcome outcome = inFlight.get(40, TimeUnit.SECONDS);
    logger.info("request whose reply was stuck at stop: {}", outcome.kind());
    TaggedCalls.assertInvariants(List.of(outcome));
  }

  private static Duration timeClose(Sidecar sidecar) {
    long closing = System.nanoTime();
    sidecar.close();
    Duration took = Duration.ofNanos(System.nanoTime() - closing);
    logger.info("{} stopped in {}", sidecar.getClass().getSimpleName(), took);
    return took;
  }

  private ClientSidecar client(String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--amqp-uri",
                node.uri(),
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
                "0",
                "--queue-type",
                "classic"));
    args.addAll(List.of(extra));
    ClientSidecar client = ClientSidecarMain.start(args.toArray(String[]::new));
    started.add(client);
    return client;
  }

  private ServerSidecar server(String... extra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--amqp-uri",
                node.uri(),
                "--service",
                service,
                "--upstream",
                "http://127.0.0.1:" + echo.port(),
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                "0",
                "--queue-type",
                "classic"));
    args.addAll(List.of(extra));
    ServerSidecar server = ServerSidecarMain.start(args.toArray(String[]::new));
    started.add(server);
    awaitReady(server.adminPort());
    return server;
  }

  private static void assertAllSucceed(TaggedCalls calls, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      calls.send("", Duration.ofSeconds(10));
    }
    List<Outcome> outcomes = calls.awaitAll();
    TaggedCalls.assertInvariants(outcomes);
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
  }
}
