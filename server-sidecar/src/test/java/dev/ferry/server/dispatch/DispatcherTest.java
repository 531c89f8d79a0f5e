package dev.ferry.server.dispatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.server.upstream.UpstreamRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the server sidecar sends to the service for a request: {@link Dispatcher#toUpstream}. */
class DispatcherTest {
  private static final String MESSAGE_ID = "msg-7f3a";

  @Test
  void carriesMethodTargetBodyAndRemainingBudget() {
    RequestEnvelope request = request("POST", "/greet?lang=en", List.of(), "hello");

    UpstreamRequest upstream = Dispatcher.toUpstream(request, false, 1234);

    assertThat(upstream.method()).isEqualTo("POST");
    assertThat(upstream.target()).isEqualTo("/greet?lang=en");
    assertThat(upstream.body()).isEqualTo("hello".getBytes(UTF_8));
    assertThat(upstream.timeoutMillis()).isEqualTo(1234);
  }

  @Test
  void dropsHopByHopHeadersAndContentLength() {
    RequestEnvelope request =
        request(
            "POST",
            "/",
            List.of(
                new Header("Host", "svc"),
                new Header("Connection", "keep-alive, X-Hop"),
                new Header("X-Hop", "1"),
                new Header("Keep-Alive", "timeout=5"),
                new Header("Transfer-Encoding", "chunked"),
                new Header("TE", "trailers"),
                new Header("Trailer", "X-Sum"),
                new Header("Upgrade", "h2c"),
                new Header("Proxy-Authorization", "Basic eA=="),
                new Header("Content-Length", "5"),
                new Header("Accept", "*/*")),
            "hello");

    UpstreamRequest upstream = Dispatcher.toUpstream(request, false, 1000);

    assertThat(upstream.headers())
        .extracting(Header::name)
        .containsExactly("Host", "Accept", "ferry-timeout", "Idempotency-Key");
  }

  @Test
  void replacesCallerFerryTimeoutAndRedeliveredWithItsOwn() {
    RequestEnvelope request =
        request(
            "GET",
            "/",
            List.of(
                new Header("Ferry-Timeout", "99s"),
                new Header("FERRY-REDELIVERED", "true"),
                new Header("ferry-timeout", "1ms"),
                new Header("ferry-redelivered", "false")),
            "");

    assertThat(Dispatcher.toUpstream(request, false, 750).headers())
        .containsExactly(
            new Header("ferry-timeout", "750ms"), new Header("Idempotency-Key", MESSAGE_ID));
    assertThat(Dispatcher.toUpstream(request, true, 750).headers())
        .containsExactly(
            new Header("ferry-timeout", "750ms"),
            new Header("Idempotency-Key", MESSAGE_ID),
            new Header("ferry-redelivered", "true"));
  }

  @Test
  void keepsOrderAndRepeatsOfEndToEndHeaders() {
    RequestEnvelope request =
        request(
            "GET",
            "/",
            List.of(
                new Header("X-Trace", "a"),
                new Header("Cookie", "c=1"),
                new Header("x-trace", "b"),
                new Header("Accept", "text/plain"),
                new Header("X-Trace", "a")),
            "");

    UpstreamRequest upstream = Dispatcher.toUpstream(request, false, 30_000);

    assertThat(upstream.headers())
        .containsExactly(
            new Header("X-Trace", "a"),
            new Header("Cookie", "c=1"),
            new Header("x-trace", "b"),
            new Header("Accept", "text/plain"),
            new Header("X-Trace", "a"),
            new Header("ferry-timeout", "30000ms"),
            new Header("Idempotency-Key", MESSAGE_ID));
  }

  @Test
  void keepsCallerIdempotencyKeyInsteadOfTheMessageId() {
    RequestEnvelope request =
        request(
            "POST",
            "/pay",
            List.of(new Header("idempotency-key", "caller-key"), new Header("Accept", "*/*")),
            "{}");

    UpstreamRequest upstream = Dispatcher.toUpstream(request, true, 500);

    assertThat(upstream.headers())
        .containsExactly(
            new Header("idempotency-key", "caller-key"),
            new Header("Accept", "*/*"),
            new Header("ferry-timeout", "500ms"),
            new Header("ferry-redelivered", "true"));
  }

  @Test
  void marksRedeliveryOnlyWhenRedelivered() {
    RequestEnvelope request = request("GET", "/", List.of(), "");

    assertThat(Dispatcher.toUpstream(request, false, 1).headers())
        .extracting(Header::name)
        .doesNotContain("ferry-redelivered");
    assertThat(Dispatcher.toUpstream(request, true, 1).headers())
        .contains(new Header("ferry-redelivered", "true"));
  }

  private static RequestEnvelope request(
      String method, String target, List<Header> headers, String body) {
    long now = 1_700_000_000_000L;
    return new RequestEnvelope(
        CallKind.HTTP,
        method,
        target,
        headers,
        body.getBytes(UTF_8),
        MESSAGE_ID,
        "corr-1",
        "ferry.reply.instance-1",
        now,
        now + 30_000);
  }
}
