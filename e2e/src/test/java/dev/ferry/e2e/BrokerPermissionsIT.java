package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.proto.Msg;
import dev.ferry.e2e.proto.TestServiceGrpc;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.protocol.Topology;
import dev.ferry.scaler.FerryScaler;
import dev.ferry.scaler.ScalerMain;
import dev.ferry.scaler.externalscaler.ExternalScalerGrpc;
import dev.ferry.scaler.externalscaler.GetMetricsRequest;
import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import dev.ferry.testing.RabbitBroker;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The least broker permissions README.md ("Broker permissions") documents are enough, and no more:
 * on the local RabbitMQ (managed with {@code rabbitmqctl}) this creates a client sidecar user for
 * two services, a server sidecar user for each and a scaler user, with exactly the documented
 * regular expressions, runs the sidecars and the scaler as them (HTTP to both services; gRPC client
 * streaming, bidirectional and a cancellation through the control exchange and through a call
 * queue; the server sidecars' in-flight reports to {@code ferry.stats}, and the scaler's metric
 * made of them and of a passive read of the request queue) and checks that what the grants leave
 * out is refused with ACCESS_REFUSED (403). The users are unique to the run and deleted afterwards.
 * Skipped, saying why, when {@code rabbitmqctl} is missing or cannot manage the test broker.
 *
 * <p>One set of users and sidecars serves all the tests, so the broker helper is not registered as
 * an extension (it would delete the request queues after the first test): the class deletes what it
 * declared itself. The second service's name has a '.', escaped in its expressions.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerPermissionsIT {
  private static final RabbitBroker broker = new RabbitBroker();
  private static final String RUN =
      ProcessHandle.current().pid()
          + "-"
          + Long.toHexString(ThreadLocalRandom.current().nextLong());

  private static Path rabbitmqctl;
  private static String skipReason;
  private static String vhost;
  private static final List<String> users = new ArrayList<>();

  private static EchoServer ordersEcho;
  private static EchoServer billingEcho;
  private static TestGrpcService grpc;
  private static Pair orders;
  private static Pair billing;
  private static ClientSidecar client;
  private static ManagedChannel channel;
  private static String clientUri;
  private static String ordersServerUri;
  private static String scalerUri;

  /** The configure, write and read expressions of a client sidecar user for {@code services}. */
  static List<String> clientGrant(List<String> services) {
    String any =
        "(" + String.join("|", services.stream().map(BrokerPermissionsIT::escape).toList()) + ")";
    return List.of(
        "^ferry\\.((req|control)\\." + any + "|reply\\..+)$",
        "^(amq\\.default|ferry\\.control\\." + any + ")$",
        "^ferry\\.reply\\..+$");
  }

  /**
   * The configure, write and read expressions of a server sidecar user for {@code service}; {@code
   * ferry.stats} for its in-flight reports (PROTOCOL.md section 17).
   */
  static List<String> serverGrant(String service) {
    String s = escape(service);
    return List.of(
        "^ferry\\.((req|dlq|control)\\." + s + "|call\\..+|stats)$",
        "^(amq\\.default|ferry\\.(call\\..+|stats))$",
        "^ferry\\.((req|control)\\." + s + "|call\\..+)$");
  }

  /**
   * The configure, write and read expressions of a scaler user: it declares {@code ferry.stats} and
   * its own queue {@code ferry.scaler.<instance>}, binds the one to the other and consumes; its
   * passive declarations of request queues need nothing.
   */
  static List<String> scalerGrant() {
    return List.of(
        "^ferry\\.(stats|scaler\\..+)$", "^ferry\\.scaler\\..+$", "^ferry\\.(stats|scaler\\..+)$");
  }

  /** A service name as a regular expression: '.' is its only character that means more. */
  private static String escape(String service) {
    return service.replace(".", "\\.");
  }

  @BeforeAll
  static void grantAndStart() throws Exception {
    skipReason = whyBrokerUsersCannotBeManaged();
    if (skipReason != null) {
      return;
    }
    ordersEcho = EchoServer.start("127.0.0.1", 0);
    billingEcho = EchoServer.start("127.0.0.1", 0);
    grpc = new TestGrpcService();
    orders = new Pair(broker, "perms");
    billing = new Pair(broker, "perms.v2");

    clientUri = newUser("client", clientGrant(List.of(orders.service, billing.service)));
    ordersServerUri = newUser("server-a", serverGrant(orders.service));
    String billingServerUri = newUser("server-b", serverGrant(billing.service));
    scalerUri = newUser("scaler", scalerGrant());

    // billing's server sidecar comes first and declares its request queue; orders' client sidecar
    // declares orders' request queue before its server sidecar exists: both orders are covered.
    billing.server("http://127.0.0.1:" + billingEcho.port(), "--amqp-uri", billingServerUri);
    client = orders.client("--amqp-uri", clientUri, "--route", "path:/billing=" + billing.service);
    orders.serverWith(
        "--amqp-uri",
        ordersServerUri,
        "--upstream",
        "http://127.0.0.1:" + ordersEcho.port(),
        "--upstream-grpc",
        "127.0.0.1:" + grpc.port());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", client.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopAndRevoke() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
    for (AutoCloseable started : new AutoCloseable[] {orders, billing, grpc}) {
      if (started != null) {
        started.close();
      }
    }
    Stream.of(ordersEcho, billingEcho).filter(Objects::nonNull).forEach(EchoServer::close);
    try {
      if (orders != null) {
        deleteTopology(orders.service, billing.service);
      }
    } finally {
      for (String user : users) {
        rabbitmqctl("delete_user", user);
      }
    }
  }

  @Test
  void readmeGrantsExactlyWhatThisTestGrants() throws IOException {
    Path readme = Path.of("..", "README.md");
    assumeTrue(Files.exists(readme), "README.md is not next to the e2e module; skipped");
    String text = Files.readString(readme);

    assertThat(text)
        .contains(commandLines("ferry-client", clientGrant(List.of("orders", "billing"))))
        .contains(commandLines("ferry-server-orders", serverGrant("orders")))
        .contains(commandLines("ferry-scaler", scalerGrant()));
  }

  @Test
  void carriesHttpToEachServiceOfTheClientsGrant() throws Exception {
    assumeBrokerUsers();
    long toOrders = ordersEcho.requests();
    long toBilling = billingEcho.requests();

    HttpResponse<String> direct = Http.get(client.httpPort(), "/orders/42?x=1");
    HttpResponse<String> routed = Http.get(client.httpPort(), "/billing/7");

    assertThat(direct.statusCode()).isEqualTo(200);
    assertThat(direct.headers().firstValue("ferry-error")).isEmpty();
    assertThat(routed.statusCode()).isEqualTo(200);
    assertThat(routed.headers().firstValue("ferry-error")).isEmpty();
    assertThat(ordersEcho.requests()).isEqualTo(toOrders + 1);
    assertThat(billingEcho.requests()).isEqualTo(toBilling + 1);
  }

  @Test
  void carriesStreamingGrpcCallsThroughTheCallQueue() throws Exception {
    assumeBrokerUsers();
    LinkedBlockingQueue<Object> joined = new LinkedBlockingQueue<>();
    StreamObserver<Msg> parts =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .clientStream(observer(joined));
    List.of("a", "b", "c").forEach(text -> parts.onNext(Msg.newBuilder().setText(text).build()));
    parts.onCompleted();

    assertThat(joined.poll(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(Msg.class, msg -> assertThat(msg.getText()).isEqualTo("abc"));
    assertThat(joined.poll(10, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);

    LinkedBlockingQueue<Object> pongs = new LinkedBlockingQueue<>();
    StreamObserver<Msg> pings =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .bidi(observer(pongs));
    for (int i = 0; i < 3; i++) {
      pings.onNext(Msg.newBuilder().setText("p" + i).build());
      assertThat(pongs.poll(10, TimeUnit.SECONDS)).isEqualTo("pong:p" + i);
    }
    pings.onCompleted();
    assertThat(pongs.poll(10, TimeUnit.SECONDS)).isEqualTo(Status.Code.OK);
  }

  @Test
  void carriesCancellationsThroughTheControlExchangeAndTheCallQueue() throws Exception {
    assumeBrokerUsers();
    // A unary call sends no frame before its answer: the client knows no call address, so the
    // cancel goes to the control exchange ferry.control.<service>.
    int before = grpc.calls.get();
    ClientCall<Msg, Msg> unary =
        channel.newCall(
            TestServiceGrpc.getUnaryMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> unaryClosed = start(unary);
    unary.sendMessage(Msg.newBuilder().setText("cancel-via-control").setDelayMs(25_000).build());
    unary.halfClose();
    await().atMost(Duration.ofSeconds(10)).until(() -> grpc.calls.get() > before);

    unary.cancel("changed my mind", null);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> grpc.cancelled.contains("cancel-via-control"));
    assertThat(unaryClosed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);

    // A bidirectional call that has answered once: the cancel goes to the server's call queue.
    LinkedBlockingQueue<Object> pongs = new LinkedBlockingQueue<>();
    StreamObserver<Msg> pings =
        TestServiceGrpc.newStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .bidi(observer(pongs));
    pings.onNext(Msg.newBuilder().setText("before-cancel").build());
    assertThat(pongs.poll(10, TimeUnit.SECONDS)).isEqualTo("pong:before-cancel");

    pings.onError(Status.CANCELLED.withDescription("caller gave up").asRuntimeException());

    await().atMost(Duration.ofSeconds(10)).until(() -> grpc.cancelled.contains("bidi"));
    // The client's publishing channel survived both cancels: nothing was refused.
    assertThat(
            TestServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .unary(Msg.newBuilder().setText("after").build())
                .getText())
        .isEqualTo("echo:after");
  }

  /**
   * Each server user publishes its in-flight reports: a queue bound to {@code ferry.stats} hears
   * both services' (a refused publish closes the reporting channel, and nothing arrives). The
   * exchange likely exists already, so declaring it proves the configure grant on its own.
   */
  @Test
  void publishesEachServersInFlightReportsToTheStatsExchange() throws Exception {
    assumeBrokerUsers();
    try (Connection server = connect(ordersServerUri);
        Channel declaring = server.createChannel()) {
      declaring.exchangeDeclare(StatsCodec.EXCHANGE, "fanout", true);
    }
    try (Connection guest = broker.newConnection();
        Channel listener = guest.createChannel()) {
      String queue = listener.queueDeclare().getQueue();
      listener.queueBind(queue, StatsCodec.EXCHANGE, "");
      Set<String> reported = new HashSet<>();
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () -> {
                for (GetResponse got = listener.basicGet(queue, true);
                    got != null;
                    got = listener.basicGet(queue, true)) {
                  AMQP.BasicProperties props = got.getProps();
                  if (StatsCodec.TYPE.equals(props.getType()) && props.getHeaders() != null) {
                    Object service = props.getHeaders().get(StatsCodec.H_SERVICE);
                    if (service != null) {
                      reported.add(service.toString());
                    }
                  }
                }
                return reported.containsAll(Set.of(orders.service, billing.service));
              });
    }
  }

  /**
   * The scaler runs as its user: ready (listening to the reports), and its metric for a service
   * counts the request the server sidecar holds, which only its in-flight report tells.
   */
  @Test
  void runsTheScalerAndCountsTheServersInFlightReports() throws Exception {
    assumeBrokerUsers();
    try (FerryScaler scaler =
        ScalerMain.start(
            "--amqp-uri",
            scalerUri,
            "--grpc-port",
            "0",
            "--admin-host",
            "127.0.0.1",
            "--admin-port",
            "0")) {
      AdminProbes.awaitReady(scaler.adminPort());
      ManagedChannel grpc =
          NettyChannelBuilder.forAddress("127.0.0.1", scaler.grpcPort()).usePlaintext().build();
      try {
        ExternalScalerGrpc.ExternalScalerBlockingStub keda =
            ExternalScalerGrpc.newBlockingStub(grpc).withDeadlineAfter(30, TimeUnit.SECONDS);
        ScaledObjectRef ref =
            ScaledObjectRef.newBuilder()
                .setNamespace("shop")
                .setName(orders.service)
                .putScalerMetadata("service", orders.service)
                .build();
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(keda, ref) == 0);

        long before = ordersEcho.requests();
        CompletableFuture<HttpResponse<String>> slow =
            Http.CLIENT.sendAsync(
                Http.request(client.httpPort(), "/orders/slow?delay=4000").build(),
                HttpResponse.BodyHandlers.ofString());
        // Taken off the queue, at the service: only the server sidecar's report counts it.
        await().atMost(Duration.ofSeconds(10)).until(() -> ordersEcho.requests() > before);
        assertThat(Queues.ready(broker, Topology.requestQueue(orders.service))).isZero();
        await()
            .during(Duration.ofMillis(600))
            .atMost(Duration.ofSeconds(2))
            .until(() -> metric(keda, ref) == 1);
        assertThat(slow).isNotDone();

        assertThat(slow.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> metric(keda, ref) == 0);
      } finally {
        grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static long metric(
      ExternalScalerGrpc.ExternalScalerBlockingStub keda, ScaledObjectRef ref) {
    return keda.getMetrics(
            GetMetricsRequest.newBuilder()
                .setScaledObjectRef(ref)
                .setMetricName("ferry-" + ref.getScalerMetadataOrThrow("service"))
                .build())
        .getMetricValues(0)
        .getMetricValue();
  }

  @Test
  void refusesTheClientUserWhatItsGrantLeavesOut() throws Exception {
    assumeBrokerUsers();
    String requests = Topology.requestQueue(orders.service);
    try (Connection connection = connect(clientUri)) {
      assertRefused(
          connection, ch -> ch.basicConsume(requests, true, (tag, delivery) -> {}, t -> {}));
      assertRefused(connection, ch -> ch.basicGet(requests, false));
      assertRefused(connection, ch -> ch.basicGet(Topology.deadLetterQueue(orders.service), false));
      assertRefused(connection, ch -> declare(ch, Topology.deadLetterQueue(orders.service)));
      assertRefused(
          connection, ch -> declare(ch, Topology.requestQueue(orders.service + "-other")));
      assertRefused(
          connection,
          ch -> ch.exchangeDeclare(Topology.controlExchange("other" + RUN), "fanout", true));
      assertRefused(connection, ch -> publish(ch, "amq.fanout", ""));
    }
  }

  @Test
  void refusesTheServerUserWhatItsGrantLeavesOut() throws Exception {
    assumeBrokerUsers();
    try (Connection connection = connect(ordersServerUri)) {
      assertRefused(connection, ch -> declare(ch, "ferry.req.other-" + RUN));
      assertRefused(
          connection, ch -> declare(ch, Topology.requestQueue(orders.service + "-other")));
      assertRefused(
          connection,
          ch ->
              ch.basicConsume(
                  Topology.requestQueue(billing.service), true, (tag, delivery) -> {}, t -> {}));
      assertRefused(connection, ch -> ch.basicGet(Topology.deadLetterQueue(orders.service), false));
      assertRefused(connection, ch -> ch.basicGet(Topology.replyQueue("any-" + RUN), false));
      assertRefused(connection, ch -> publish(ch, Topology.controlExchange(orders.service), ""));
      assertRefused(connection, ch -> publish(ch, "amq.fanout", ""));
      // It may declare a call queue, but not bind it to hear the other instances' reports.
      assertRefused(
          connection,
          ch -> {
            String own =
                ch.queueDeclare("ferry.call.probe-" + RUN, false, true, true, null).getQueue();
            ch.queueBind(own, StatsCodec.EXCHANGE, "");
          });
    }
  }

  @Test
  void refusesTheScalerUserWhatItsGrantLeavesOut() throws Exception {
    assumeBrokerUsers();
    String requests = Topology.requestQueue(orders.service);
    try (Connection connection = connect(scalerUri)) {
      assertRefused(connection, ch -> ch.basicGet(requests, false));
      assertRefused(
          connection, ch -> ch.basicConsume(requests, true, (tag, delivery) -> {}, t -> {}));
      assertRefused(connection, ch -> declare(ch, Topology.requestQueue(orders.service + "-x")));
      assertRefused(connection, ch -> publish(ch, StatsCodec.EXCHANGE, "")); // No forged reports.
      assertRefused(connection, ch -> publish(ch, "", requests));
      assertRefused(connection, ch -> ch.basicGet(Topology.replyQueue("any-" + RUN), false));
    }
  }

  /**
   * What permissions cannot express (README.md): publishing through the default exchange needs
   * write on {@code amq.default} only, whatever queue the routing key names.
   */
  @Test
  void cannotKeepAServerUserFromAnyQueueThroughTheDefaultExchange() throws Exception {
    assumeBrokerUsers();
    String elsewhere = "ferry-it.elsewhere." + RUN;
    try (Connection guest = broker.newConnection();
        Channel admin = guest.createChannel();
        Connection server = connect(ordersServerUri);
        Channel publisher = server.createChannel()) {
      admin.queueDeclare(elsewhere, false, false, true, null);
      try {
        publish(publisher, "", elsewhere);

        GetResponse got = admin.basicGet(elsewhere, true);
        assertThat(got).isNotNull();
        assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("probe");
      } finally {
        admin.queueDelete(elsewhere);
      }
    }
  }

  private static void assumeBrokerUsers() {
    assumeTrue(skipReason == null, skipReason);
  }

  /** Null when rabbitmqctl is here and manages the test broker's node; why not otherwise. */
  private static String whyBrokerUsersCannotBeManaged() throws Exception {
    rabbitmqctl = locateRabbitmqctl();
    if (rabbitmqctl == null) {
      return "BrokerPermissionsIT needs rabbitmqctl (on PATH or in /usr/sbin) to create broker"
          + " users; none found, so it is skipped";
    }
    URI uri = URI.create(broker.uri());
    if (!Set.of("127.0.0.1", "localhost", "[::1]").contains(uri.getHost())) {
      return "BrokerPermissionsIT manages users with the local rabbitmqctl, but the test broker is"
          + " "
          + uri.getHost()
          + "; skipped";
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    vhost =
        path.isEmpty() || path.equals("/")
            ? "/"
            : URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8);
    try {
      rabbitmqctl("list_vhosts");
    } catch (IOException e) {
      return "BrokerPermissionsIT cannot manage the local broker with rabbitmqctl (needs root or"
          + " the broker's Erlang cookie): "
          + e.getMessage();
    }
    return null;
  }

  private static Path locateRabbitmqctl() {
    List<String> directories = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      directories.addAll(List.of(path.split(File.pathSeparator)));
    }
    directories.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/usr/lib/rabbitmq/bin"));
    for (String directory : directories) {
      Path candidate = Path.of(directory, "rabbitmqctl");
      if (!directory.isEmpty() && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Adds a user unique to this run with {@code grant} on the test vhost; returns its URI. */
  private static String newUser(String role, List<String> grant) throws Exception {
    String user = "ferry-it-" + RUN + "-" + role;
    String password = Long.toHexString(ThreadLocalRandom.current().nextLong()) + "x" + RUN;
    rabbitmqctl("add_user", user, password);
    users.add(user);
    rabbitmqctl("set_permissions", "-p", vhost, user, grant.get(0), grant.get(1), grant.get(2));
    URI base = URI.create(broker.uri());
    return new URI(
            base.getScheme(),
            user + ":" + password,
            base.getHost(),
            base.getPort(),
            base.getPath(),
            base.getQuery(),
            null)
        .toString();
  }

  /** Runs {@code rabbitmqctl -q args}; returns its output, or throws when it fails. */
  private static String rabbitmqctl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(rabbitmqctl.toString(), "-q"));
    command.addAll(List.of(args));
    Path output = Files.createTempFile("rabbitmqctl", ".out");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("rabbitmqctl " + String.join(" ", args) + ": no answer in 60 s");
      }
      String text = Files.readString(output);
      if (process.exitValue() != 0) {
        throw new IOException(
            "rabbitmqctl "
                + String.join(" ", args)
                + ": exit status "
                + process.exitValue()
                + ": "
                + text.strip());
      }
      return text;
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /** The three lines of README.md's {@code set_permissions} example for {@code user}. */
  private static String commandLines(String user, List<String> grant) {
    return "rabbitmqctl set_permissions -p shop-prod "
        + user
        + " \\\n  '"
        + grant.get(0)
        + "' \\\n  '"
        + grant.get(1)
        + "' \\\n  '"
        + grant.get(2)
        + "'\n";
  }

  private static Connection connect(String uri) throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    if (factory.getVirtualHost().isEmpty()) {
      factory.setVirtualHost("/");
    }
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection("ferry-permissions-test");
  }

  @FunctionalInterface
  private interface OnChannel {
    void run(Channel channel) throws Exception;
  }

  /** Runs {@code action} on a channel of its own and expects the broker to refuse it (403). */
  private static void assertRefused(Connection connection, OnChannel action) throws IOException {
    Channel channel = connection.createChannel();
    assertThatThrownBy(() -> action.run(channel))
        .satisfies(
            thrown -> {
              AMQP.Channel.Close close = channelClose(thrown);
              assertThat(close).as("channel closed by the broker, after %s", thrown).isNotNull();
              assertThat(close.getReplyCode()).as(close.getReplyText()).isEqualTo(403);
              assertThat(close.getReplyText()).startsWith("ACCESS_REFUSED");
            });
  }

  private static AMQP.Channel.Close channelClose(Throwable thrown) {
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof ShutdownSignalException signal
          && signal.getReason() instanceof AMQP.Channel.Close close) {
        return close;
      }
    }
    return null;
  }

  private static void declare(Channel channel, String queue) throws IOException {
    channel.queueDeclare(queue, true, false, false, null);
  }

  /** Publishes with a confirm and waits for it: a refusal closes the channel instead. */
  private static void publish(Channel channel, String exchange, String routingKey)
      throws Exception {
    channel.confirmSelect();
    channel.basicPublish(
        exchange,
        routingKey,
        true,
        MessageProperties.TEXT_PLAIN,
        "probe".getBytes(StandardCharsets.UTF_8));
    channel.waitForConfirmsOrDie(10_000);
  }

  private static void deleteTopology(String... services) throws Exception {
    try (Connection connection = broker.newConnection()) {
      for (String service : services) {
        for (String queue :
            List.of(Topology.requestQueue(service), Topology.deadLetterQueue(service))) {
          try (Channel ch = connection.createChannel()) {
            ch.queueDelete(queue);
          }
        }
        try (Channel ch = connection.createChannel()) {
          ch.exchangeDelete(Topology.controlExchange(service));
        }
      }
    }
  }

  private static CompletableFuture<Status> start(ClientCall<Msg, Msg> call) {
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
    return closed;
  }

  /** Puts each pong's text (other messages whole), then the final status code, on {@code out}. */
  private static StreamObserver<Msg> observer(LinkedBlockingQueue<Object> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(Msg msg) {
        out.add(msg.getText().startsWith("pong:") ? msg.getText() : msg);
      }

      @Override
      public void onError(Throwable t) {
        out.add(Status.fromThrowable(t).getCode());
      }

      @Override
      public void onCompleted() {
        out.add(Status.Code.OK);
      }
    };
  }
}
