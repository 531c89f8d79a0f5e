package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.Topology;
import dev.ferry.scaler.FerryScaler;
import dev.ferry.scaler.ScalerMain;
import dev.ferry.scaler.externalscaler.ExternalScalerGrpc;
import dev.ferry.scaler.externalscaler.GetMetricsRequest;
import dev.ferry.scaler.externalscaler.IsActiveResponse;
import dev.ferry.scaler.externalscaler.ScaledObjectRef;
import dev.ferry.testing.RabbitBroker;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scaler with the real sidecars, as KEDA would drive them: a request to a service at zero is
 * pushed as active at once; the server sidecar that then starts takes it off the queue, and its
 * in-flight report keeps the metric at 1 while the (slow) service works on it; once answered, the
 * metric is 0 and the service inactive again.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ScalerIT {
  private static final Logger logger = LoggerFactory.getLogger(ScalerIT.class);

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void activatesAtZeroAndCountsTheRequestTheServerSidecarHoldsUntilItIsAnswered() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "scaled");
        FerryScaler scaler =
            ScalerMain.start(
                "--amqp-uri",
                broker.uri(),
                "--grpc-port",
                "0",
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                "0")) {
      ManagedChannel grpc =
          NettyChannelBuilder.forAddress("127.0.0.1", scaler.grpcPort()).usePlaintext().build();
      try {
        ExternalScalerGrpc.ExternalScalerBlockingStub keda =
            ExternalScalerGrpc.newBlockingStub(grpc);
        ScaledObjectRef ref = ref(pair.service);
        int port = pair.client().httpPort(); // Declares the request queue.
        assertThat(keda.isActive(ref).getResult()).isFalse();
        BlockingQueue<Boolean> pushed = streamIsActive(grpc, ref);
        assertThat(pushed.poll(10, TimeUnit.SECONDS)).isFalse();

        long sentAt = System.nanoTime();
        CompletableFuture<HttpResponse<String>> slow =
            Http.CLIENT.sendAsync(
                Http.request(port, "/slow?delay=4000").build(),
                HttpResponse.BodyHandlers.ofString());
        Boolean active = pushed.poll(10, TimeUnit.SECONDS);
        logger.info(
            "activation pushed delay_ms={} (from the caller's request to KEDA's stream)",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt));
        assertThat(active).isTrue();
        assertThat(metric(keda, ref)).isEqualTo(1);

        pair.server("http://127.0.0.1:" + echo.port()); // What KEDA's activation starts.
        String queue = Topology.requestQueue(pair.service);
        await().atMost(Duration.ofSeconds(10)).until(() -> Queues.ready(broker, queue) == 0);
        // Taken off the queue, still counted: three polls long, while the service works on it.
        await()
            .during(Duration.ofMillis(600))
            .atMost(Duration.ofSeconds(3))
            .until(() -> metric(keda, ref) == 1);
        assertThat(slow).isNotDone();

        assertThat(slow.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(pushed.poll(10, TimeUnit.SECONDS)).isFalse();
        assertThat(metric(keda, ref)).isZero();
        assertThat(keda.isActive(ref).getResult()).isFalse();
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

  private static BlockingQueue<Boolean> streamIsActive(ManagedChannel grpc, ScaledObjectRef ref) {
    BlockingQueue<Boolean> pushed = new LinkedBlockingQueue<>();
    ExternalScalerGrpc.newStub(grpc)
        .streamIsActive(
            ref,
            new StreamObserver<IsActiveResponse>() {
              @Override
              public void onNext(IsActiveResponse value) {
                pushed.add(value.getResult());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    return pushed;
  }

  /** The trigger of the external-push ScaledObject example, for {@code service}. */
  private static ScaledObjectRef ref(String service) {
    return ScaledObjectRef.newBuilder()
        .setNamespace("shop")
        .setName(service)
        .putScalerMetadata("scalerAddress", "ferry-scaler.ferry-system.svc.cluster.local:6000")
        .putScalerMetadata("service", service)
        .putScalerMetadata("value", "16")
        .putScalerMetadata("activationValue", "0")
        .build();
  }
}
