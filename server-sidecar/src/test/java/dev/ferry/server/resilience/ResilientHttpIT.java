package dev.ferry.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.FerryError;
import dev.ferry.server.upstream.HttpUpstream;
import dev.ferry.server.upstream.UpstreamException;
import dev.ferry.server.upstream.UpstreamRequest;
import dev.ferry.server.upstream.UpstreamResponse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ResilientHttp} against a real socket that resets the first connection once it has read a
 * request (the request reached the service, its answer never came), and answers the rest.
 */
class ResilientHttpIT {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private ResettingService service;
  private Circuits circuits;
  private HttpUpstream upstream;
  private ResilientHttp http;

  @BeforeEach
  void setUp() throws IOException {
    service = new ResettingService();
    circuits = new Circuits(new CircuitSettings(10, 5, 50, Duration.ofSeconds(5)), 2, 20, registry);
    upstream = HttpUpstream.create(URI.create("http://127.0.0.1:" + service.port()), 1024, 1);
    http =
        new ResilientHttp(
            upstream, circuits.guard("http", () -> CompletableFuture.completedFuture(true)));
  }

  @AfterEach
  void tearDown() throws IOException {
    upstream.close();
    circuits.close();
    service.close();
  }

  @Test
  void sendsAnIdempotentRequestAgainAfterAResetOnceItWasSent() throws Exception {
    UpstreamResponse response = http.send(request("GET"), true).get(10, TimeUnit.SECONDS);

    assertThat(response.status()).isEqualTo(200);
    assertThat(service.requests()).hasValue(2);
    assertThat(registry.get("ferry.upstream.retries").counter().count()).isEqualTo(1);
  }

  @Test
  void neverSendsANonIdempotentRequestAgainOnceItWasSent() throws Exception {
    CompletableFuture<UpstreamResponse> sent = http.send(request("POST"), false);

    Throwable failure = catchFailure(sent);
    assertThat(failure).isInstanceOf(UpstreamException.class);
    assertThat(((UpstreamException) failure).error()).isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(((UpstreamException) failure).sent()).isTrue();
    assertThat(service.requests()).hasValue(1);
    assertThat(registry.get("ferry.upstream.retries").counter().count()).isZero();
  }

  @Test
  void handsARequestBackWithoutSendingItWhileTheCircuitIsOpen() throws Exception {
    UpstreamGuard guard = circuits.guard("other", () -> CompletableFuture.completedFuture(false));
    for (int i = 0; i < 5; i++) {
      guard.breaker().tryAcquire().failed(0);
    }
    ResilientHttp guarded = new ResilientHttp(upstream, guard);

    assertThat(catchFailure(guarded.send(request("GET"), true))).isInstanceOf(HandedBack.class);
    assertThat(service.requests()).hasValue(0);
  }

  private static Throwable catchFailure(CompletableFuture<UpstreamResponse> future)
      throws Exception {
    try {
      future.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }

  private static UpstreamRequest request(String method) {
    return new UpstreamRequest(method, "/x", List.of(), new byte[0], 5_000);
  }

  /** Resets the first connection after reading a request from it; answers 200 on the others. */
  private static final class ResettingService implements AutoCloseable {
    private final ServerSocket socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread thread = new Thread(this::serve, "test-resetting-service");

    ResettingService() throws IOException {
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    AtomicInteger requests() {
      return requests;
    }

    private void serve() {
      for (int connection = 0; !socket.isClosed(); connection++) {
        try (Socket accepted = socket.accept()) {
          serve(accepted, connection == 0);
        } catch (IOException e) {
          // Closed, or the client went away.
        }
      }
    }

    private void serve(Socket accepted, boolean reset) throws IOException {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(accepted.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = accepted.getOutputStream();
      while (readHead(in)) {
        requests.incrementAndGet();
        if (reset) {
          accepted.setSoLinger(true, 0); // Close with a reset.
          return;
        }
        out.write(
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }

    /** Reads a request head (the tests send no bodies); false at the end of the stream. */
    private static boolean readHead(BufferedReader in) throws IOException {
      String line = in.readLine();
      if (line == null) {
        return false;
      }
      while (line != null && !line.isEmpty()) {
        line = in.readLine();
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
