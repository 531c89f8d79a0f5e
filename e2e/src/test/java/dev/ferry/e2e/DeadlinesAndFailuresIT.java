package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.ferry.client.ClientSidecar;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.EnvelopeCodec;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.Topology;
import dev.ferry.server.ServerSidecar;
import dev.ferry.testing.RabbitBroker;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Deadlines and the sidecar-made errors a caller can tell apart from the service's answers. */
class DeadlinesAndFailuresIT {
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
  void answers504WhenTheDeadlinePassesWithoutWaitingForTheService() throws Exception {
    try (Pair pair = new Pair(broker, "deadline")) {
      int port = pair.client().httpPort();
      pair.server("http://127.0.0.1:" + echo.port());
      long started = System.nanoTime();

      HttpResponse<String> response =
          Http.CLIENT.send(
              Http.request(port, "/slow?delay=10000").header("ferry-timeout", "500ms").build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(504);
      assertThat(response.headers().firstValue("ferry-error")).hasValue("timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void answers502WhenTheServiceGoesAwayAndReportsNotReady() throws Exception {
    EchoServer doomed = EchoServer.start("127.0.0.1", 0);
    try (Pair pair = new Pair(broker, "down")) {
      int port = pair.client().httpPort();
      ServerSidecar server = pair.server("http://127.0.0.1:" + doomed.port());
      doomed.close();

      HttpResponse<String> response =
          Http.CLIENT.send(
              Http.request(port, "/x").header("ferry-timeout", "3s").build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(response.headers().firstValue("ferry-error")).hasValue("upstream-unavailable");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                HttpResponse<String> ready = Http.get(server.adminPort(), "/readyz");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("upstream");
              });
    } finally {
      doomed.close();
    }
  }

  @Test
  void answers503NoRouteWhenTheRequestQueueIsGone() throws Exception {
    try (Pair pair = new Pair(broker, "noroute")) {
      ClientSidecar client = pair.client();
      try (Connection connection = broker.newConnection();
          Channel channel = connection.createChannel()) {
        channel.queueDelete(Topology.requestQueue(pair.service));
      }

      HttpResponse<String> response = Http.get(client.httpPort(), "/x");

      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.headers().firstValue("ferry-error")).hasValue("no-route");
    }
  }

  @Test
  void skipsARequestWhoseDeadlineHasPassedWithoutCallingTheService() throws Exception {
    try (Pair pair = new Pair(broker, "expired")) {
      ServerSidecar server = pair.server("http://127.0.0.1:" + echo.port());
      long before = echo.requests();
      long now = System.currentTimeMillis();
      AmqpMessage message =
          EnvelopeCodec.encodeRequest(
              new RequestEnvelope(
                  CallKind.HTTP,
                  "GET",
                  "/late",
                  List.of(),
                  new byte[0],
                  "m-1",
                  "c-1",
                  "ferry.reply.nobody",
                  now - 2_000,
                  now - 1_000));
      AMQP.BasicProperties withoutTtl = message.properties().builder().expiration(null).build();
      try (Connection connection = broker.newConnection();
          Channel channel = connection.createChannel()) {
        channel.basicPublish("", Topology.requestQueue(pair.service), withoutTtl, message.body());
      }

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(Http.get(server.adminPort(), "/metrics").body())
                      .contains(
                          "ferry_server_requests_total{outcome=\"expired\",service=\""
                              + pair.service
                              + "\"} 1.0"));
      assertThat(echo.requests()).isEqualTo(before);
      assertThat(Queues.ready(broker, Topology.requestQueue(pair.service))).isZero();
    }
  }
}
