package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a server sidecar process mid-request: the request completes and the process exits 0.
 */
class DrainIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void finishesInFlightRequestsOnSigtermAndExitsZero(@TempDir Path dir) throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "drain")) {
      int port = pair.client().httpPort();
      Path log = dir.resolve("server.log");
      ServerProcess started =
          ServerProcess.start(
              broker, pair.service, log, "--upstream", "http://127.0.0.1:" + echo.port());
      Process server = started.process();
      int admin = started.adminPort();
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> Http.get(admin, "/readyz").statusCode() == 200);
        long before = echo.requests();
        CompletableFuture<HttpResponse<String>> pending =
            Http.CLIENT.sendAsync(
                Http.request(port, "/slow?delay=1500").build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> echo.requests() > before);

        server.destroy(); // SIGTERM

        HttpResponse<String> response = pending.get(20, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-echo-uri")).hasValue("/slow?delay=1500");
        assertThat(server.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(server.exitValue()).isZero();
        assertThat(Queues.ready(broker, Topology.requestQueue(pair.service))).isZero();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(output)
            .contains("drained in-flight requests complete=true")
            .doesNotContain(":guest@");
      } finally {
        server.destroyForcibly();
      }
    }
  }
}
