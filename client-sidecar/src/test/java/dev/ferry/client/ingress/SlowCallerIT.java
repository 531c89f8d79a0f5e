package dev.ferry.client.ingress;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.Caller;
import dev.ferry.protocol.ResponseEnvelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP front end on a real socket against a caller that trickles its request in. */
class SlowCallerIT {
  private static final Duration READ_TIMEOUT = Duration.ofMillis(1000);

  private final AtomicInteger calls = new AtomicInteger();
  private final Caller caller =
      call -> {
        calls.incrementAndGet();
        return new CompletableFuture<ResponseEnvelope>();
      };
  private HttpIngress ingress;

  @AfterEach
  void stop() {
    if (ingress != null) {
      ingress.close();
    }
  }

  @Test
  void cutsOffACallerThatSendsOneByteAtATime() throws Exception {
    ingress =
        HttpIngress.start(
            caller,
            new IngressConfig(
                "127.0.0.1",
                0,
                Routes.to("echo"),
                Duration.ofSeconds(30),
                1024,
                8192,
                8192,
                Duration.ofSeconds(60),
                READ_TIMEOUT));
    byte[] request = "GET /slow HTTP/1.1\r\nHost: svc\r\nX-Padding: ".getBytes(ISO_8859_1);
    try (Socket socket = new Socket("127.0.0.1", ingress.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      long started = System.nanoTime();
      int sent = 0;
      try {
        // Every 100 ms a byte: far more often than any idle timeout, and never done.
        while (sent < request.length && socket.getInputStream().available() == 0) {
          out.write(request[sent++]);
          out.flush();
          Thread.sleep(100);
        }
      } catch (SocketException e) {
        // The sidecar closed the connection while we were still writing.
      }
      String answer = readToEnd(socket.getInputStream());
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(answer)
          .startsWith("HTTP/1.1 408")
          .containsIgnoringCase("ferry-error: bad-request");
      assertThat(took).isGreaterThanOrEqualTo(READ_TIMEOUT).isLessThan(Duration.ofSeconds(10));
      assertThat(sent).isLessThan(request.length);
      assertThat(calls).hasValue(0);
    }
  }

  private static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        read.write(buffer, 0, n);
      }
    } catch (SocketException e) {
      // Reset after the response: what arrived is what we check.
    }
    return read.toString(ISO_8859_1);
  }
}
