package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.protocol.Topology;
import dev.ferry.testing.RabbitBroker;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A request sent while no server sidecar has ever run waits in the queue and succeeds later. */
class ScaleFromZeroIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void holdsARequestUntilTheFirstServerSidecarStarts() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "zero")) {
      int port = pair.client().httpPort();
      CompletableFuture<HttpResponse<String>> pending =
          Http.CLIENT.sendAsync(
              Http.request(port, "/cold?q=1")
                  .POST(HttpRequest.BodyPublishers.ofString("wake up"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String queue = Topology.requestQueue(pair.service);
      await().atMost(Duration.ofSeconds(10)).until(() -> Queues.ready(broker, queue) == 1);
      assertThat(pending).isNotDone();

      pair.server("http://127.0.0.1:" + echo.port());
      HttpResponse<String> response = pending.get(30, TimeUnit.SECONDS);

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("wake up");
      assertThat(Long.parseLong(response.headers().firstValue("ferry-queue-time").orElseThrow()))
          .isPositive();
      assertThat(Queues.ready(broker, queue)).isZero();
    }
  }
}
