package dev.ferry.e2e;

import static dev.ferry.e2e.AdminProbes.assertNotReady;
import static dev.ferry.e2e.AdminProbes.awaitNotReady;
import static dev.ferry.e2e.AdminProbes.awaitNothingPending;
import static dev.ferry.e2e.AdminProbes.awaitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.ClientSidecar;
import dev.ferry.client.ClientSidecarMain;
import dev.ferry.e2e.TaggedCalls.Outcome;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.loadtest.fault.FaultProxy;
import dev.ferry.server.ServerSidecar;
import dev.ferry.server.ServerSidecarMain;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broker faults between one sidecar and RabbitMQ, made by a {@link FaultProxy} in front of that
 * sidecar's broker connection, with requests in flight. Each test checks the invariants of {@link
 * TaggedCalls} (exactly one outcome per request by its deadline, never another caller's answer),
 * that the sidecar reports not-ready while disconnected and ready again after, that new requests
 * succeed afterwards, that nothing is left pending, and that the closed sidecars leave no broker
 * connection behind, nor a thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerFaultsIT {
  private static final Logger logger = LoggerFactory.getLogger(BrokerFaultsIT.class);
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  /** Request and echoed reply bodies large enough for the proxy's held bytes to count them. */
  private static final byte[] BODY = new byte[4096];

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static EchoServer echo;

  @BeforeAll
  static void startEcho() {
    echo = EchoServer.start("127.0.0.1", 0);
  }

  @AfterAll
  static void stopEcho() {
    echo.close();
  }

  @Test
  void clientRecoversFromACutWithRequestsInFlight() throws Exception {
    Set<Thread> threadsBefore = Threads.live();
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, "cut-client")) {
      ClientSidecar client = pair.client("--amqp-uri", proxy.amqpUri(broker.uri()));
      pair.server(echoUrl());
      TaggedCalls calls = new TaggedCalls(client.httpPort(), "cut-client");
      long executedBefore = echo.requests();
      for (int i = 0; i < 50; i++) {
        calls.send(i % 2 == 0 ? "" : "delay=500", DEADLINE);
      }
      await().until(() -> echo.requests() - executedBefore >= 10);

      proxy.refuse(); // The broker is away until accept(): long enough to see it.
      proxy.cut();

      awaitNotReady(client.adminPort(), "broker");
      Outcome duringOutage = new TaggedCalls(client.httpPort(), "outage").call("", DEADLINE);
      assertThat(duringOutage.kind()).isEqualTo("503 broker-unavailable");
      assertThat(duringOutage.took()).isLessThan(Duration.ofSeconds(1));
      proxy.accept();
      awaitReady(client.adminPort());
      List<Outcome> inFlight = calls.awaitAll();
      logger.info("client cut: in-flight outcomes {}", TaggedCalls.tally(inFlight));
      TaggedCalls.assertInvariants(inFlight);
      assertAllSucceed(new TaggedCalls(client.httpPort(), "after-cut-client"), 20);
      awaitNothingPending(client.adminPort());
      assertNoConnectionLeft(pair, proxy);
    }
    Threads.awaitNoneLeftSince(threadsBefore);
  }

  @Test
  void unconfirmedRequestsEndClearlyWhenTheClientConnectionDrops() throws Exception {
    List<Outcome> outcomes = cutWhileRequestsAreUnconfirmed("unconfirmed");
    // Published again after the reconnect (the test below); a clear 503 is the fallback.
    assertThat(outcomes)
        .allSatisfy(outcome -> assertThat(outcome.kind()).isIn("200", "503 broker-unavailable"));
  }

  @Test
  void unconfirmedRequestsArePublishedAgainAfterTheClientReconnects() throws Exception {
    List<Outcome> outcomes = cutWhileRequestsAreUnconfirmed("republish");
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
  }

  @Test
  void repliesLostOnTheirWayToTheClientStillEndByTheDeadline() throws Exception {
    List<Outcome> outcomes = cutWhileRepliesAreOnTheirWay("reply-lost");
    // Kept by the broker and delivered after the reconnect (the test below); 504 at worst.
    assertThat(outcomes)
        .allSatisfy(outcome -> assertThat(outcome.kind()).isIn("200", "504 timeout"));
  }

  @Test
  void repliesOnTheirWayToTheClientSurviveItsReconnect() throws Exception {
    List<Outcome> outcomes = cutWhileRepliesAreOnTheirWay("reply-kept");
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
  }

  @Test
  void serverRecoversFromACutWithRequestsInFlight() throws Exception {
    Set<Thread> threadsBefore = Threads.live();
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, "cut-server")) {
      ClientSidecar client = pair.client();
      ServerSidecar server = pair.server(echoUrl(), "--amqp-uri", proxy.amqpUri(broker.uri()));
      TaggedCalls calls = new TaggedCalls(client.httpPort(), "cut-server");
      long executedBefore = echo.requests();
      for (int i = 0; i < 40; i++) {
        calls.send(i % 4 == 0 ? "" : "delay=500", Duration.ofSeconds(10));
      }
      await().until(() -> echo.requests() - executedBefore >= 8);

      proxy.refuse();
      proxy.cut();

      awaitNotReady(server.adminPort(), "broker");
      // Sent while no server sidecar is connected: it waits in the queue.
      CompletableFuture<Outcome> duringOutage =
          new TaggedCalls(client.httpPort(), "queued").send("", Duration.ofSeconds(30));
      proxy.accept();
      awaitReady(server.adminPort());
      List<Outcome> inFlight = calls.awaitAll();
      long executed = echo.requests() - executedBefore;
      logger.info(
          "server cut: in-flight outcomes {}, upstream executions {} for {} requests",
          TaggedCalls.tally(inFlight),
          executed,
          inFlight.size() + 1);
      TaggedCalls.assertInvariants(inFlight);
      Outcome queued = duringOutage.get(40, TimeUnit.SECONDS);
      TaggedCalls.assertInvariants(List.of(queued));
      assertThat(queued.kind()).isEqualTo("200");
      assertThat(executed)
          .as("upstream executions: none twice (the reply cache answers redeliveries)")
          .isLessThanOrEqualTo(inFlight.size() + 1);
      assertAllSucceed(new TaggedCalls(client.httpPort(), "after-cut-server"), 20);
      awaitNothingPending(client.adminPort());
      assertNoConnectionLeft(pair, proxy);
    }
    Threads.awaitNoneLeftSince(threadsBefore);
  }

  @Test
  void clientStartsWhileTheBrokerIsDownAndServesOnceItIsUp() throws Exception {
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, "start-client")) {
      pair.server(echoUrl());
      proxy.refuse();
      int adminPort = freePort();
      try (BackgroundStart<ClientSidecar> starting =
          BackgroundStart.start(
              "client-sidecar-start",
              () ->
                  ClientSidecarMain.start(
                      "--amqp-uri",
                      proxy.amqpUri(broker.uri()),
                      "--service",
                      pair.service,
                      "--http-host",
                      "127.0.0.1",
                      "--http-port",
                      "0",
                      "--grpc-port",
                      "0",
                      "--admin-host",
                      "127.0.0.1",
                      "--admin-port",
                      Integer.toString(adminPort),
                      "--queue-type",
                      "classic"))) {
        awaitNotReady(adminPort, "started");
        assertThat(starting.result()).isNotDone();

        proxy.accept();

        ClientSidecar client = starting.result().get(30, TimeUnit.SECONDS);
        awaitReady(adminPort);
        assertAllSucceed(new TaggedCalls(client.httpPort(), "started-client"), 5);
        awaitNothingPending(adminPort);
        starting.close();
        await().until(() -> proxy.connections() == 0);
      }
    }
  }

  @Test
  void serverStartsWhileTheBrokerIsDownAndServesOnceItIsUp() throws Exception {
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, "start-server")) {
      ClientSidecar client = pair.client();
      proxy.refuse();
      int adminPort = freePort();
      try (BackgroundStart<ServerSidecar> starting =
          BackgroundStart.start(
              "server-sidecar-start",
              () ->
                  ServerSidecarMain.start(
                      "--amqp-uri",
                      proxy.amqpUri(broker.uri()),
                      "--service",
                      pair.service,
                      "--upstream",
                      echoUrl(),
                      "--admin-host",
                      "127.0.0.1",
                      "--admin-port",
                      Integer.toString(adminPort),
                      "--queue-type",
                      "classic",
                      "--drain-timeout",
                      "5s"))) {
        awaitNotReady(adminPort, "started");
        // Sent before any server sidecar is connected: it waits in the queue.
        CompletableFuture<Outcome> queued =
            new TaggedCalls(client.httpPort(), "before-server").send("", Duration.ofSeconds(30));
        assertThat(starting.result()).isNotDone();

        proxy.accept();

        starting.result().get(30, TimeUnit.SECONDS);
        awaitReady(adminPort);
        TaggedCalls.assertInvariants(List.of(queued.get(40, TimeUnit.SECONDS)));
        assertThat(queued.join().kind()).isEqualTo("200");
        assertAllSucceed(new TaggedCalls(client.httpPort(), "started-server"), 5);
        awaitNothingPending(client.adminPort());
        starting.close();
        await().until(() -> proxy.connections() == 0);
      }
    }
  }

  /**
   * A connection that silently stops carrying bytes is noticed by the heartbeat only (the sidecars
   * ask for 10 s, so this takes 20 to 30 s): until then the client stays ready and requests end
   * with 504 at their deadline; after it, it is not-ready and refuses at once; once bytes flow
   * again, it recovers.
   */
  @Test
  void clientDetectsABlackholedConnectionByHeartbeatAndRecovers() throws Exception {
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, "blackhole-client")) {
      ClientSidecar client = pair.client("--amqp-uri", proxy.amqpUri(broker.uri()));
      pair.server(echoUrl());
      assertAllSucceed(new TaggedCalls(client.httpPort(), "before-blackhole"), 5);

      proxy.blackhole();

      TaggedCalls held = new TaggedCalls(client.httpPort(), "blackholed");
      for (int i = 0; i < 10; i++) {
        held.send("", Duration.ofSeconds(2));
      }
      List<Outcome> outcomes = held.awaitAll();
      logger.info("blackhole: outcomes before detection {}", TaggedCalls.tally(outcomes));
      TaggedCalls.assertInvariants(outcomes);
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertNotReady(client.adminPort(), "broker"));
      assertThat(new TaggedCalls(client.httpPort(), "detected").call("", DEADLINE).kind())
          .isEqualTo("503 broker-unavailable");

      proxy.restore();

      awaitReady(client.adminPort());
      assertAllSucceed(new TaggedCalls(client.httpPort(), "after-blackhole"), 20);
      awaitNothingPending(client.adminPort());
      assertNoConnectionLeft(pair, proxy);
    }
  }

  /**
   * Blackholes the client's connection, sends requests (each publish carries a 4 KiB body, so the
   * proxy can tell when all are published), then cuts it: the broker never saw them, the client
   * never had them confirmed. Returns their outcomes after the client has reconnected.
   */
  private List<Outcome> cutWhileRequestsAreUnconfirmed(String hint) throws Exception {
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, hint)) {
      ClientSidecar client = pair.client("--amqp-uri", proxy.amqpUri(broker.uri()));
      pair.server(echoUrl());
      assertAllSucceed(new TaggedCalls(client.httpPort(), "before-" + hint), 2);
      TaggedCalls calls = new TaggedCalls(client.httpPort(), hint);

      proxy.blackhole();
      for (int i = 0; i < 10; i++) {
        calls.send("", DEADLINE, BODY);
      }
      await().until(() -> proxy.heldBytes() >= 10L * BODY.length);
      proxy.cut();
      proxy.restore();

      return outcomesAfterReconnect(calls, client, pair, proxy, "unconfirmed requests cut");
    }
  }

  /**
   * Sends requests, waits until the service has them all, blackholes the client's connection so
   * that their replies (4 KiB bodies each) get stuck between broker and client, then cuts it.
   * Returns their outcomes after the client has reconnected.
   */
  private List<Outcome> cutWhileRepliesAreOnTheirWay(String hint) throws Exception {
    try (FaultProxy proxy = FaultProxy.toBroker(broker.uri());
        Pair pair = new Pair(broker, hint)) {
      ClientSidecar client = pair.client("--amqp-uri", proxy.amqpUri(broker.uri()));
      pair.server(echoUrl());
      assertAllSucceed(new TaggedCalls(client.httpPort(), "before-" + hint), 2);
      TaggedCalls calls = new TaggedCalls(client.httpPort(), hint);
      long executedBefore = echo.requests();
      for (int i = 0; i < 5; i++) {
        calls.send("delay=300", DEADLINE, BODY);
      }
      await().until(() -> echo.requests() - executedBefore == 5);

      proxy.blackhole();
      await().until(() -> proxy.heldBytes() >= 5L * BODY.length);
      proxy.cut();
      proxy.restore();

      return outcomesAfterReconnect(calls, client, pair, proxy, "replies on their way cut");
    }
  }

  /** The common end of a client cut: invariants, new requests succeed, nothing left behind. */
  private static List<Outcome> outcomesAfterReconnect(
      TaggedCalls calls, ClientSidecar client, Pair pair, FaultProxy proxy, String what)
      throws Exception {
    awaitReady(client.adminPort());
    List<Outcome> outcomes = calls.awaitAll();
    logger.info("{}: outcomes {}", what, TaggedCalls.tally(outcomes));
    TaggedCalls.assertInvariants(outcomes);
    assertAllSucceed(new TaggedCalls(client.httpPort(), "after-" + what.replace(' ', '-')), 5);
    awaitNothingPending(client.adminPort());
    assertNoConnectionLeft(pair, proxy);
    return outcomes;
  }

  private static String echoUrl() {
    return "http://127.0.0.1:" + echo.port();
  }

  private static void assertAllSucceed(TaggedCalls calls, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      calls.send(i % 2 == 0 ? "" : "delay=50", DEADLINE);
    }
    List<Outcome> outcomes = calls.awaitAll();
    TaggedCalls.assertInvariants(outcomes);
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.kind()).isEqualTo("200"));
  }

  /** Closes the sidecars: the one behind the proxy leaves no broker connection open (nor two). */
  private static void assertNoConnectionLeft(Pair pair, FaultProxy proxy) throws Exception {
    pair.close();
    await().until(() -> proxy.connections() == 0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
