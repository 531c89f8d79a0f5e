package dev.ferry.loadtest.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EchoServerIT {
  private static final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade headers in the echo
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private EchoServer echo;

  @BeforeEach
  void startEcho() {
    echo = EchoServer.start("127.0.0.1", 0);
  }

  @AfterEach
  void closeEcho() {
    echo.close();
  }

  @Test
  void echoesBodyMethodUriAndContentType() throws Exception {
    HttpResponse<String> response =
        send(
            request("/orders/42?x=1&y=a%20b")
                .header("content-type", "application/json")
                .method("PUT", BodyPublishers.ofString("{\"id\": 42}")),
            BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"id\": 42}");
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(response.headers().firstValue("x-echo-method")).hasValue("PUT");
    assertThat(response.headers().firstValue("x-echo-uri")).hasValue("/orders/42?x=1&y=a%20b");
  }

  @Test
  void defaultsContentTypeToOctetStream() throws Exception {
    HttpResponse<byte[]> response =
        send(
            request("/bytes").POST(BodyPublishers.ofByteArray(new byte[] {0, 1, 2})),
            BodyHandlers.ofByteArray());

    assertThat(response.body()).containsExactly(0, 1, 2);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/octet-stream");
  }

  @Test
  void echoesRepeatedRequestHeadersInOrder() throws Exception {
    HttpResponse<String> response =
        send(
            request("/")
                .header("X-Rep", "first")
                .header("x-rep", "second")
                .header("X-Rep", "third")
                .GET(),
            BodyHandlers.ofString());

    assertThat(response.headers().allValues("x-echo-h-x-rep"))
        .containsExactly("first", "second", "third");
    assertThat(response.headers().firstValue("x-echo-h-host")).hasValue("127.0.0.1:" + echo.port());
  }

  @Test
  void revealsRequestHeadersAsTheyArrivedRatherThanAsAggregated() throws Exception {
    // A body of unknown length goes out chunked; the aggregator then swaps
    // transfer-encoding for content-length, which the echo must not report.
    HttpResponse<String> chunked =
        send(
            request("/")
                .POST(
                    BodyPublishers.ofInputStream(
                        () ->
                            new ByteArrayInputStream("streamed".getBytes(StandardCharsets.UTF_8)))),
            BodyHandlers.ofString());

    assertThat(chunked.body()).isEqualTo("streamed");
    assertThat(chunked.headers().firstValue("x-echo-h-transfer-encoding")).hasValue("chunked");
    assertThat(chunked.headers().map()).doesNotContainKey("x-echo-h-content-length");
  }

  @Test
  void answersWithRequestedStatus() throws Exception {
    HttpResponse<String> response =
        send(
            request("/fail?status=503").POST(BodyPublishers.ofString("still echoed")),
            BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isEqualTo("still echoed");
  }

  @Test
  void answersWithPatternBodyOfRequestedSize() throws Exception {
    int size = 200_000; // more than one 64KiB pattern block
    HttpResponse<byte[]> response =
        send(
            request("/big?size=" + size).POST(BodyPublishers.ofString("ignored")),
            BodyHandlers.ofByteArray());

    assertThat(response.headers().firstValueAsLong("content-length")).hasValue(size);
    byte[] body = response.body();
    assertThat(body).hasSize(size);
    for (int i = 0; i < size; i++) {
      assertThat(body[i]).as("byte %d", i).isEqualTo((byte) ('a' + i % 26));
    }
  }

  @Test
  void addsRequestedResponseHeadersInOrder() throws Exception {
    HttpResponse<String> response =
        send(
            request(
                    "/?header=x-one:1&header=x-two:%20two&header=x-one:3&header=content-type:application/json")
                .GET(),
            BodyHandlers.ofString());

    assertThat(response.headers().allValues("x-one")).containsExactly("1", "3");
    assertThat(response.headers().allValues("x-two")).containsExactly("two");
    assertThat(response.headers().allValues("content-type")).containsExactly("application/json");
  }

  @Test
  void answersAfterRequestedDelay() throws Exception {
    HttpResponse<String> response =
        send(
            request("/slow?delay=50").POST(BodyPublishers.ofString("later")),
            BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("later");
  }

  @Test
  void answersInChunksWithBodyIntact() throws Exception {
    byte[] payload = new byte[100_003];
    new Random(7).nextBytes(payload);

    HttpResponse<byte[]> response =
        send(
            request("/?chunked=1").POST(BodyPublishers.ofByteArray(payload)),
            BodyHandlers.ofByteArray());

    assertThat(response.body()).isEqualTo(payload);
    assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
    assertThat(response.headers().map()).doesNotContainKey("content-length");
  }

  @Test
  void resetsConnectionInsteadOfAnsweringWhenAskedToClose() {
    assertThatThrownBy(() -> send(request("/?close=1").GET(), BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
    assertThat(echo.requests()).isPositive();
  }

  @Test
  void rejectsBadOptionWithBadRequestNamingIt() throws Exception {
    HttpResponse<String> response = send(request("/?status=99").GET(), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("status").contains("99");
  }

  @Test
  void answersHealthCheck() throws Exception {
    HttpResponse<String> response = send(request("/healthz").GET(), BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ok");
  }

  @Test
  void countsEchoedRequestsButNotHealthOrStats() throws Exception {
    send(request("/healthz").GET(), BodyHandlers.discarding());
    for (int i = 0; i < 3; i++) {
      send(request("/count?status=201").GET(), BodyHandlers.discarding());
    }

    HttpResponse<String> stats = send(request("/stats").GET(), BodyHandlers.ofString());

    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(stats.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(stats.body()).isEqualTo("{\"requests\": 3}");
    assertThat(echo.requests()).isEqualTo(3);
  }

  @Test
  void closesIdempotently() {
    echo.close();
    echo.close();

    assertThatThrownBy(() -> send(request("/healthz").GET(), BodyHandlers.discarding()))
        .isInstanceOf(IOException.class);
  }

  private HttpRequest.Builder request(String target) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + echo.port() + target))
        .timeout(Duration.ofSeconds(10));
  }

  private static <T> HttpResponse<T> send(
      HttpRequest.Builder request, HttpResponse.BodyHandler<T> body)
      throws IOException, InterruptedException {
    return client.send(request.build(), body);
  }
}
