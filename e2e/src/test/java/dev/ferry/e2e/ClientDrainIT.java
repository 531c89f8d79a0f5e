package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.client.ClientSidecar;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.testing.RabbitBroker;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Stopping the client sidecar lets a response that is still being written reach its caller. */
class ClientDrainIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final int BODY = 6_000_000;

  @Test
  void finishesWritingResponsesBeforeItStops() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "cdrain")) {
      ClientSidecar client = pair.client("--max-body-size", "8MiB");
      pair.server("http://127.0.0.1:" + echo.port(), "--max-body-size", "8MiB");
      try (Socket socket = new Socket("127.0.0.1", client.httpPort())) {
        socket.setReceiveBufferSize(16 * 1024);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("GET /big?size=" + BODY + " HTTP/1.1\r\nHost: a\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // The reply has reached the client sidecar; most of it still waits to be written to us.
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    Http.get(client.adminPort(), "/metrics")
                        .body()
                        .contains(
                            "ferry_client_requests_total{method=\"GET\",outcome=\"ok\",service=\""
                                + pair.service
                                + "\"} 1.0"));

        CompletableFuture<Void> stopped = CompletableFuture.runAsync(client::close);
        long read = readAll(socket.getInputStream());
        stopped.join();

        assertThat(read).isGreaterThan(BODY);
      }
    }
  }

  private static long readAll(InputStream in) throws Exception {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      total += n;
    }
    return total;
  }
}
