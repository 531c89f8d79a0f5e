package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.server.ServerSidecar;
import dev.ferry.testing.RabbitBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Health, readiness and Prometheus metrics on both sidecars' admin ports: the documented meters
 * exist, no tag value is an id or a path, and every metric the Grafana dashboard queries exists.
 */
class AdminIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  /** Grafana's dashboard, relative to this module. */
  private static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "ferry-dashboard.json");

  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final Pattern METRIC_NAME =
      Pattern.compile("\\b((?:ferry|jvm|process|netty)_[a-z0-9_]+)");

  @Test
  void reportsHealthReadinessAndMetrics() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "admin")) {
      ClientSidecar client = pair.client();
      ServerSidecar server = pair.server("http://127.0.0.1:" + echo.port());
      Http.get(client.httpPort(), "/one");
      System.gc(); // So that jvm_gc_pause_seconds, which the dashboard reads, exists.

      for (int admin : new int[] {client.adminPort(), server.adminPort()}) {
        assertThat(Http.get(admin, "/healthz").statusCode()).isEqualTo(200);
      }
      Awaitility.await()
          .untilAsserted(
              () ->
                  assertThat(Http.get(server.adminPort(), "/readyz").statusCode()).isEqualTo(200));
      assertThat(Http.get(client.adminPort(), "/readyz").statusCode()).isEqualTo(200);
      String clientMetrics = Http.get(client.adminPort(), "/metrics").body();
      assertThat(clientMetrics)
          .contains(
              "ferry_client_requests_total{method=\"GET\",outcome=\"ok\",service=\""
                  + pair.service
                  + "\"} 1.0")
          .contains("ferry_client_request_duration_seconds_bucket")
          .contains("ferry_client_queue_time_seconds_bucket")
          .contains("ferry_client_pending")
          .contains("ferry_broker_recoveries_total{sidecar=\"client\"}")
          .contains("ferry_broker_confirm_duration_seconds_bucket{sidecar=\"client\"")
          .contains("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads")
          .contains("jvm_classes_loaded_classes", "process_uptime_seconds")
          .contains("process_files_open_files", "process_resident_memory_bytes")
          .contains("netty_allocator_memory_used")
          .doesNotContain("guest:guest");
      String serverMetrics = Http.get(server.adminPort(), "/metrics").body();
      assertThat(serverMetrics)
          .contains(
              "ferry_server_requests_total{outcome=\"ok\",service=\"" + pair.service + "\"} 1.0")
          .contains("ferry_server_queue_time_seconds_bucket")
          .contains("ferry_server_upstream_duration_seconds_bucket")
          .contains("ferry_server_inflight{service=\"" + pair.service + "\"}")
          .contains("ferry_broker_recoveries_total{sidecar=\"server\"}")
          .contains("ferry_broker_confirm_duration_seconds_bucket{sidecar=\"server\"")
          .contains("ferry_upstream_circuit_state{upstream=\"http\"}")
          .contains("jvm_memory_used_bytes", "process_resident_memory_bytes")
          .contains("netty_allocator_memory_used");
      assertBoundedTags(clientMetrics);
      assertBoundedTags(serverMetrics);
      assertDashboardMetricsExist(clientMetrics + serverMetrics);
    }
  }

  /** No tag value is an id (correlation or message id: 32 hex digits), a path or a target. */
  private static void assertBoundedTags(String scrape) {
    Matcher labels = LABEL.matcher(scrape);
    while (labels.find()) {
      String value = labels.group(2);
      assertThat(value)
          .as("tag %s", labels.group(1))
          .doesNotContain("/")
          .doesNotContainPattern("[0-9a-f]{16}")
          .isNotEqualTo("one");
    }
    assertThat(scrape).doesNotContain("fullMethod", "correlation", "message_id");
  }

  /** Every metric the dashboard queries is in one of the scrapes. */
  private static void assertDashboardMetricsExist(String scrapes) throws Exception {
    Set<String> used = new TreeSet<>();
    Matcher names = METRIC_NAME.matcher(Files.readString(DASHBOARD));
    while (names.find()) {
      used.add(names.group(1));
    }
    assertThat(used).contains("ferry_client_requests_total", "ferry_upstream_circuit_state");
    for (String name : used) {
      assertThat(scrapes).as("dashboard metric %s", name).containsPattern("(?m)^" + name + "[{ ]");
    }
  }
}
