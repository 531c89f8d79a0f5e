package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.testing.RabbitBroker;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP requests through a real client sidecar, RabbitMQ and server sidecar to a real upstream. */
class HttpThroughFerryIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();
  private static final int MAX_BODY = 256 * 1024;

  private static EchoServer echo;
  private Pair pair;
  private int port;

  @BeforeAll
  static void startEcho() throws Exception {
    echo = EchoServer.start("127.0.0.1", 0);
  }

  @AfterAll
  static void stopEcho() {
    echo.close();
  }

  @BeforeEach
  void startPair() throws Exception {
    pair = new Pair(broker, "http");
    ClientSidecar client =
        pair.client("--max-body-size", Integer.toString(MAX_BODY), "--max-header-size", "8KiB");
    pair.server("http://127.0.0.1:" + echo.port());
    port = client.httpPort();
  }

  @AfterEach
  void stopPair() throws Exception {
    pair.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
  void carriesMethodTargetAndBody(String method) throws Exception {
    byte[] body = ("body of " + method).getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> response =
        Http.send(
            Http.request(port, "/a/b%20c?q=1&q=2&x=%C3%A9")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-echo-method")).hasValue(method);
    assertThat(response.headers().firstValue("x-echo-uri")).hasValue("/a/b%20c?q=1&q=2&x=%C3%A9");
    assertThat(response.body()).isEqualTo(body);
    assertThat(response.headers().firstValue("ferry-error")).isEmpty();
    assertThat(response.headers().firstValue("ferry-queue-time")).isPresent();
  }

  @Test
  void headRequestKeepsTheServicesContentLength() throws Exception {
    String response =
        Http.raw(port, "HEAD /x?size=1234 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

    assertThat(response)
        .startsWith("HTTP/1.1 200 OK")
        .containsIgnoringCase("content-length: 1234\r\n");
    assertThat(response).endsWith("\r\n\r\n");
  }

  @Test
  void keepsRepeatedHeadersInOrderBothWays() throws Exception {
    HttpResponse<String> response =
        Http.CLIENT.send(
            Http.request(port, "/h?header=x-out:first&header=x-out:second")
                .header("x-multi", "one")
                .header("x-multi", "two")
                .header("x-multi", "three")
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.headers().allValues("x-echo-h-x-multi"))
        .containsExactly("one", "two", "three");
    assertThat(response.headers().allValues("x-out")).containsExactly("first", "second");
  }

  @ParameterizedTest
  @ValueSource(ints = {201, 204, 302, 404, 500, 503})
  void passesTheServicesStatusThroughUnmarked(int status) throws Exception {
    HttpResponse<String> response = Http.get(port, "/s?status=" + status);

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("ferry-error")).isEmpty();
  }

  @Test
  void carriesBinaryAndEmptyBodiesExactly() throws Exception {
    byte[] binary = new byte[256 * 3];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    HttpResponse<byte[]> full =
        Http.send(
            Http.request(port, "/bin")
                .header("content-type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(binary))
                .build());
    HttpResponse<byte[]> empty =
        Http.send(Http.request(port, "/empty").POST(HttpRequest.BodyPublishers.noBody()).build());

    assertThat(full.body()).isEqualTo(binary);
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.body()).isEmpty();
  }

  @Test
  void acceptsChunkedRequestsAndCarriesChunkedResponses() throws Exception {
    byte[] body = new byte[100_000];
    Arrays.fill(body, (byte) 'z');
    HttpResponse<byte[]> response =
        Http.send(
            Http.request(port, "/chunked?chunked=1")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(body);
    assertThat(response.headers().firstValue("x-echo-h-transfer-encoding")).isEmpty();
  }

  @Test
  void acceptsABodyAtTheLimitAndRefusesOneByteMoreWithoutPublishing() throws Exception {
    byte[] atLimit = new byte[MAX_BODY];
    Arrays.fill(atLimit, (byte) 7);
    HttpResponse<byte[]> accepted =
        Http.send(
            Http.request(port, "/big")
                .POST(HttpRequest.BodyPublishers.ofByteArray(atLimit))
                .build());
    long servedBefore = echo.requests();
    HttpResponse<String> refused =
        Http.CLIENT.send(
            Http.request(port, "/big")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[MAX_BODY + 1]))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(accepted.statusCode()).isEqualTo(200);
    assertThat(accepted.body()).isEqualTo(atLimit);
    assertThat(refused.statusCode()).isEqualTo(413);
    assertThat(refused.headers().firstValue("ferry-error")).hasValue("body-too-large");
    assertThat(echo.requests()).isEqualTo(servedBefore);
  }

  @Test
  void neverForwardsHopByHopHeaders() throws Exception {
    String response =
        Http.raw(
            port,
            "GET /hop HTTP/1.1\r\nHost: a\r\n"
                + "Connection: close, X-Conn-Named\r\nX-Conn-Named: secret\r\nKeep-Alive: timeout=5\r\n"
                + "Proxy-Authorization: Basic Zm9v\r\nTE: trailers\r\nX-Kept: yes\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 200 OK").contains("x-echo-h-x-kept: yes");
    assertThat(response.toLowerCase())
        .doesNotContain(
            "x-echo-h-x-conn-named",
            "x-echo-h-keep-alive",
            "x-echo-h-proxy-authorization",
            "x-echo-h-te:",
            "x-echo-h-connection");
  }

  @Test
  void answersPipelinedRequestsInOrder() throws Exception {
    String response =
        Http.raw(
            port,
            "GET /first?delay=300 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

    assertThat(response.indexOf("x-echo-uri: /first"))
        .isNotNegative()
        .isLessThan(response.indexOf("x-echo-uri: /second"));
  }

  @Test
  void answersMalformedHttpWith400AndStaysUp() throws Exception {
    String response = Http.raw(port, "GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n");

    assertThat(response)
        .startsWith("HTTP/1.1 400")
        .containsIgnoringCase("ferry-error: bad-request");
    assertThat(Http.get(port, "/after").statusCode()).isEqualTo(200);
  }

  @Test
  void answersOversizedHeadersWith431AndLongRequestLinesWith414() throws Exception {
    String headers =
        Http.raw(port, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
    String line = Http.raw(port, "GET /" + "l".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n");

    assertThat(headers)
        .startsWith("HTTP/1.1 431")
        .containsIgnoringCase("ferry-error: headers-too-large");
    assertThat(line).startsWith("HTTP/1.1 414").containsIgnoringCase("ferry-error: uri-too-long");
  }

  @Test
  void neverLetsTheServiceImpersonateASidecarError() throws Exception {
    HttpResponse<String> response =
        Http.get(
            port, "/spoof?status=504&header=ferry-error:timeout&header=ferry-queue-time:999999");

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(response.headers().firstValue("ferry-error")).isEmpty();
    assertThat(response.headers().firstValue("ferry-queue-time"))
        .isPresent()
        .isNotEqualTo(java.util.Optional.of("999999"));
  }

  @Test
  void answersTooManyHeaderFieldsWith431() throws Exception {
    StringBuilder request = new StringBuilder("GET /many HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 1100; i++) {
      request.append("x:").append(i % 10).append("\r\n");
    }
    String response = Http.raw(port, request.append("\r\n").toString());

    assertThat(response)
        .startsWith("HTTP/1.1 431")
        .containsIgnoringCase("ferry-error: headers-too-large");
  }

  @Test
  void rejectsAFerryTimeoutBeyondAWeek() throws Exception {
    HttpResponse<String> response =
        Http.CLIENT.send(
            Http.request(port, "/t").header("ferry-timeout", "169h").build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("ferry-error")).hasValue("bad-request");
  }

  @Test
  void rejectsAnInvalidFerryTimeout() throws Exception {
    HttpResponse<String> response =
        Http.CLIENT.send(
            Http.request(port, "/t").header("ferry-timeout", "soon").build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("ferry-error")).hasValue("bad-request");
    assertThat(response.body()).contains("ferry-timeout");
  }

  @Test
  void passesIdempotencyKeyAndRemainingBudgetToTheService() throws Exception {
    HttpResponse<String> response =
        Http.CLIENT.send(
            Http.request(port, "/k").header("ferry-timeout", "5s").build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.headers().firstValue("x-echo-h-idempotency-key"))
        .hasValueSatisfying(key -> assertThat(key).matches("[0-9a-f]{32}"));
    assertThat(response.headers().firstValue("x-echo-h-ferry-timeout"))
        .hasValueSatisfying(
            value -> {
              assertThat(value).endsWith("ms");
              assertThat(Long.parseLong(value.replace("ms", ""))).isBetween(1L, 5000L);
            });
  }
}
