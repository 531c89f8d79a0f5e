package dev.ferry.server.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import dev.ferry.server.CountingUpstream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link HttpUpstream} against a real HTTP server on 127.0.0.1. */
class HttpUpstreamIT {
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  @Test
  void waitsForAServiceThatStartsListeningAfterTheRequest() throws Exception {
    int port = CountingUpstream.freePort();
    HttpUpstream client = client("http://127.0.0.1:" + port);

    CompletableFuture<UpstreamResponse> response = client.send(get("/late", 20_000));

    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !response.isDone());
    CountingUpstream service = keep(CountingUpstream.start(port));
    UpstreamResponse answer = response.get(10, TimeUnit.SECONDS);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("hello /late");
    assertThat(service.calls()).isEqualTo(1);
  }

  @Test
  void keepsTryingToConnectWhileTheBudgetLastsAndAnswersBeforeItEnds() {
    HttpUpstream client = client("http://127.0.0.1:" + freePort());
    long started = System.nanoTime();

    // 2 s: attempts after 50, 100, 200, 400 and 800 ms; then too little is left to wait 1 s more.
    FerryError error = failure(client.send(get("/x", 2_000)), 5);

    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(error).isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(took).isBetween(Duration.ofMillis(1_000), Duration.ofMillis(1_999));
  }

  @Test
  void failsAtOnceWhenTheRequestIsNotValidHttpAndKeepsTheConnection() throws Exception {
    CountingUpstream service = keep(CountingUpstream.start());
    HttpUpstream client = client(service.uri());
    assertThat(client.send(get("/one", 10_000)).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);

    UpstreamRequest invalid =
        new UpstreamRequest(
            "GET", "/two", List.of(new Header("Bad Name", "x")), new byte[0], 30_000);
    FerryError error = failure(client.send(invalid), 2);

    assertThat(error).isEqualTo(FerryError.BAD_REQUEST);
    assertThat(client.send(get("/three", 10_000)).get(10, TimeUnit.SECONDS).status())
        .isEqualTo(200);
    assertThat(service.calls()).isEqualTo(2);
    assertThat(service.connections()).isEqualTo(1);
  }

  @Test
  void resolvesTheServiceByHostName() throws Exception {
    CountingUpstream service = keep(CountingUpstream.start());
    HttpUpstream client = client("http://localhost:" + service.port() + "/base/");

    UpstreamResponse answer = client.send(get("/named", 10_000)).get(10, TimeUnit.SECONDS);

    assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("hello /base/named");
  }

  private HttpUpstream client(String uri) {
    return keep(HttpUpstream.create(URI.create(uri), 1024, 1));
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }

  private static int freePort() {
    try {
      return CountingUpstream.freePort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static UpstreamRequest get(String target, long timeoutMillis) {
    return new UpstreamRequest("GET", target, List.of(), new byte[0], timeoutMillis);
  }

  /** The sidecar error {@code response} fails with within {@code seconds}. */
  private static FerryError failure(CompletableFuture<UpstreamResponse> response, int seconds) {
    Throwable thrown = catchThrowable(() -> response.get(seconds, TimeUnit.SECONDS));
    assertThat(thrown)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(UpstreamException.class);
    return ((UpstreamException) thrown.getCause()).error();
  }
}
