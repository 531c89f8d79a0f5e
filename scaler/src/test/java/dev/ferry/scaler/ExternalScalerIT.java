package dev.ferry.scaler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.StatsCodec;
import dev.ferry.protocol.Topology;
import dev.ferry.scaler.externalscaler.ExternalScalerGrpc;
import dev.ferry.scaler.externalscaler.GetMetricSpecResponse;
import dev.ferry.scaler.externalscaler.GetMetricsRequest;
import dev.ferry.scaler.externalscaler.IsActiveResponse;
import dev.ferry.scaler.externalscaler.MetricSpec;
import dev.ferry.scaler.externalscaler.MetricValue;
import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import dev.ferry.testing.RabbitBroker;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scaler as KEDA sees it: a real scaler on a real broker, called over loopback with the
 * generated {@code externalscaler} stub. Requests are plain messages put on the queue, in-flight
 * reports hand-made {@code ferry.stats} messages (a real server sidecar's are in the e2e module's
 * {@code ScalerIT}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExternalScalerIT {
  private static final Logger logger = LoggerFactory.getLogger(ExternalScalerIT.class);
  private static final Duration GENEROUS = Duration.ofSeconds(10);

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static FerryScaler scaler;
  private static Connection connection;
  private static Channel channel;
  private ManagedChannel grpc;

  @BeforeAll
  static void startScaler() throws Exception {
    scaler = ScalerMain.start(args().toArray(String[]::new));
    connection = broker.newConnection();
    channel = connection.createChannel();
  }

  @AfterAll
  static void stopScaler() throws Exception {
    connection.close();
    scaler.close();
  }

  @BeforeEach
  void connect() {
    grpc = connectTo(scaler);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(QueueType.class)
  void pushesActiveWithinAPollOfTheFirstRequestForAServiceAtZero(QueueType type) throws Exception {
    String service = declaredService("zero", type);
    ScaledObjectRef ref = ref(service);
    assertThat(blocking().isActive(ref).getResult()).isFalse();
    assertThat(metric(ref)).isZero();
    BlockingQueue<Object> pushed = streamIsActive(ref);
    assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(false);

    long sentAt = System.nanoTime();
    channel.basicPublish(
        "", Topology.requestQueue(service), null, "wake up".getBytes(StandardCharsets.UTF_8));
    Object next = pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS);
    long delayMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);

    logger.info(
        "activation pushed delay_ms={} queue_type={} poll_interval=200ms",
        delayMillis,
        type.argument());
    assertThat(next).isEqualTo(true);
    assertThat(metric(ref)).isEqualTo(1);
    assertThat(blocking().isActive(ref).getResult()).isTrue();

    // Taken and not acknowledged: no longer ready, and only an in-flight report would count it.
    GetResponse taken = channel.basicGet(Topology.requestQueue(service), false);
    assertThat(taken).isNotNull();
    assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(false);
    assertThat(metric(ref)).isZero();
    channel.basicNack(taken.getEnvelope().getDeliveryTag(), false, false);
  }

  @Test
  void countsAnInstancesInFlightRequestsUntilItsReportsStop() throws Exception {
    String service = declaredService("inflight", QueueType.CLASSIC);
    ScaledObjectRef ref = ref(service);
    BlockingQueue<Object> pushed = streamIsActive(ref);
    assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(false);

    // An instance that reports 3 in flight once, then dies (nothing more, no last report).
    publish(MessageSigner.NONE, new InstanceStats(service, "killed", 3, 16, 1_500));
    assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(true);
    assertThat(metric(ref)).isEqualTo(3);

    assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(false);
    assertThat(metric(ref)).isZero();
  }

  @Test
  void forgetsAnInstanceAtItsLastReport() throws Exception {
    String service = declaredService("gone", QueueType.CLASSIC);
    ScaledObjectRef ref = ref(service);
    assertThat(metric(ref)).isZero();

    publish(MessageSigner.NONE, new InstanceStats(service, "a", 2, 16, 60_000));
    publish(MessageSigner.NONE, new InstanceStats(service, "b", 1, 16, 60_000));
    await().atMost(GENEROUS).until(() -> metric(ref) == 3);
    publish(MessageSigner.NONE, new InstanceStats(service, "a", 0, 16, 0));

    await().atMost(GENEROUS).until(() -> metric(ref) == 1);
  }

  @Test
  void countsAQueueThatDoesNotExistAsEmpty() {
    ScaledObjectRef ref = ref(broker.newService("absent"));

    assertThat(blocking().isActive(ref).getResult()).isFalse();
    assertThat(metric(ref)).isZero();
  }

  @Test
  void describesTheMetricWithTheTriggersTarget() {
    String service = broker.newService("spec");

    GetMetricSpecResponse spec = blocking().getMetricSpec(ref(service));

    assertThat(spec.getMetricSpecsList())
        .containsExactly(
            MetricSpec.newBuilder()
                .setMetricName("ferry-" + service)
                .setTargetSize(16)
                .setTargetSizeFloat(16)
                .build());
  }

  @Test
  void rejectsATriggerWithoutServiceAsInvalidArgument() throws Exception {
    ScaledObjectRef ref =
        ScaledObjectRef.newBuilder()
            .setNamespace("shop")
            .setName("echo")
            .putScalerMetadata("value", "16")
            .build();

    for (Runnable call :
        List.<Runnable>of(
            () -> blocking().isActive(ref),
            () -> blocking().getMetricSpec(ref),
            () -> blocking().getMetrics(metricsRequest(ref)),
            () -> blocking().streamIsActive(ref).next())) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription())
                    .isEqualTo(
                        "scaledObject shop/echo: metadata service: missing (expected: the Ferry"
                            + " service whose queue ferry.req.<service> to scale on, in the"
                            + " trigger's metadata)");
              });
    }
    ScaledObjectRef badValue =
        ref(broker.newService("bad")).toBuilder().putScalerMetadata("value", "sixteen").build();
    assertThatThrownBy(() -> blocking().getMetricSpec(badValue))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e ->
                assertThat(e.getStatus().getDescription())
                    .contains("value: 'sixteen' (expected: a number"));
  }

  @Test
  void countsOnlyReportsSignedWithOneOfItsKeys(@TempDir Path dir) throws Exception {
    Path keys = Files.writeString(dir.resolve("keys"), "a-key-of-at-least-16-bytes\n");
    MessageSigner signer = MessageSigner.fromKeyFile(Files.readString(keys));
    List<String> args = args();
    args.addAll(List.of("--signing-key-file", keys.toString()));
    try (FerryScaler signed = ScalerMain.start(args.toArray(String[]::new))) {
      ManagedChannel toSigned = connectTo(signed);
      try {
        String service = declaredService("signed", QueueType.CLASSIC);
        ScaledObjectRef ref = ref(service);
        ExternalScalerGrpc.ExternalScalerBlockingStub stub =
            ExternalScalerGrpc.newBlockingStub(toSigned);
        assertThat(metric(stub, ref)).isZero();

        // Both reach its queue in this order: once the signed one counts, the other was dropped.
        publish(MessageSigner.NONE, new InstanceStats(service, "forged", 5, 16, 60_000));
        publish(signer, new InstanceStats(service, "genuine", 2, 16, 60_000));

        await().atMost(GENEROUS).until(() -> metric(stub, ref) != 0);
        assertThat(metric(stub, ref)).isEqualTo(2);
        assertThat(scrape(signed)).contains("ferry_scaler_reports_rejected_total 1.0");
      } finally {
        toSigned.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void endsOpenStreamsCleanlyWhenItStops() throws Exception {
    // KEDA reopens a stream 2 s after a clean end, but backs off up to a minute after errors.
    FerryScaler stopping = ScalerMain.start(args().toArray(String[]::new));
    ManagedChannel toStopping = connectTo(stopping);
    try {
      BlockingQueue<Object> pushed =
          streamIsActive(toStopping, ref(declaredService("stop", QueueType.CLASSIC)));
      assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(false);

      stopping.close();

      assertThat(pushed.poll(GENEROUS.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(Status.OK);
    } finally {
      toStopping.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      stopping.close();
    }
  }

  private static List<String> args() {
    return new ArrayList<>(
        List.of(
            "--amqp-uri",
            broker.uri(),
            "--grpc-port",
            "0",
            "--admin-host",
            "127.0.0.1",
            "--admin-port",
            "0"));
  }

  private static ManagedChannel connectTo(FerryScaler target) {
    return NettyChannelBuilder.forAddress("127.0.0.1", target.grpcPort()).usePlaintext().build();
  }

  private ExternalScalerGrpc.ExternalScalerBlockingStub blocking() {
    return ExternalScalerGrpc.newBlockingStub(grpc).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private long metric(ScaledObjectRef ref) {
    return metric(blocking(), ref);
  }

  private static long metric(
      ExternalScalerGrpc.ExternalScalerBlockingStub stub, ScaledObjectRef ref) {
    List<MetricValue> values = stub.getMetrics(metricsRequest(ref)).getMetricValuesList();
    assertThat(values).hasSize(1);
    assertThat(values.get(0).getMetricName())
        .isEqualTo("ferry-" + ref.getScalerMetadataOrThrow("service"));
    assertThat(values.get(0).getMetricValueFloat()).isEqualTo(values.get(0).getMetricValue());
    return values.get(0).getMetricValue();
  }

  private static GetMetricsRequest metricsRequest(ScaledObjectRef ref) {
    return GetMetricsRequest.newBuilder()
        .setScaledObjectRef(ref)
        .setMetricName("ferry-" + ref.getScalerMetadataOrDefault("service", ""))
        .build();
  }

  /**
   * Opens StreamIsActive; what it pushes (true/false), then its end (a Status) land in the queue.
   */
  private BlockingQueue<Object> streamIsActive(ScaledObjectRef ref) {
    return streamIsActive(grpc, ref);
  }

  private static BlockingQueue<Object> streamIsActive(ManagedChannel to, ScaledObjectRef ref) {
    BlockingQueue<Object> pushed = new LinkedBlockingQueue<>();
    ExternalScalerGrpc.newStub(to)
        .streamIsActive(
            ref,
            new StreamObserver<>() {
              @Override
              public void onNext(IsActiveResponse value) {
                pushed.add(value.getResult());
              }

              @Override
              public void onError(Throwable t) {
                pushed.add(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                pushed.add(Status.OK);
              }
            });
    return pushed;
  }

  private static String declaredService(String hint, QueueType type) throws Exception {
    String service = broker.newService(hint);
    channel.queueDeclare(
        Topology.requestQueue(service), true, false, false, Topology.requestQueueArguments(type));
    return service;
  }

  private static void publish(MessageSigner signer, InstanceStats stats) throws Exception {
    AmqpMessage message =
        signer.sign(StatsCodec.encode(stats, System.currentTimeMillis()), StatsCodec.EXCHANGE, "");
    AMQP.BasicProperties properties = message.properties();
    channel.basicPublish(StatsCodec.EXCHANGE, "", properties, message.body());
  }

  private static ScaledObjectRef ref(String service) {
    return ScaledObjectRef.newBuilder()
        .setNamespace("shop")
        .setName(service)
        .putAllScalerMetadata(
            Map.of(
                "scalerAddress", "ferry-scaler.ferry-system.svc.cluster.local:6000",
                "service", service,
                "value", "16",
                "activationValue", "0"))
        .build();
  }

  private static String scrape(FerryScaler target) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + target.adminPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
