package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.server.ServerSidecar;
import dev.ferry.testing.RabbitBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Health, readiness and Prometheus metrics on both sidecars' admin ports. */
class AdminIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void reportsHealthReadinessAndMetrics() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "admin")) {
      ClientSidecar client = pair.client();
      ServerSidecar server = pair.server("http://127.0.0.1:" + echo.port());
      Http.get(client.httpPort(), "/one");

      for (int admin : new int[] {client.adminPort(), server.adminPort()}) {
        assertThat(Http.get(admin, "/healthz").statusCode()).isEqualTo(200);
      }
      org.awaitility.Awaitility.await()
          .untilAsserted(
              () ->
                  assertThat(Http.get(server.adminPort(), "/readyz").statusCode()).isEqualTo(200));
      assertThat(Http.get(client.adminPort(), "/readyz").statusCode()).isEqualTo(200);
      String clientMetrics = Http.get(client.adminPort(), "/metrics").body();
      assertThat(clientMetrics)
          .contains(
              "ferry_client_requests_total{outcome=\"ok\",service=\"" + pair.service + "\"} 1.0")
          .contains("ferry_client_request_duration_seconds_bucket")
          .contains("ferry_client_queue_time_seconds_count")
          .contains("ferry_client_pending")
          .contains("jvm_memory_used_bytes")
          .doesNotContain("guest:guest");
      assertThat(Http.get(server.adminPort(), "/metrics").body())
          .contains(
              "ferry_server_requests_total{outcome=\"ok\",service=\"" + pair.service + "\"} 1.0")
          .contains("ferry_server_upstream_duration_seconds_count");
    }
  }
}
