package dev.ferry.server.upstream;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.Header;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One upstream exchange on an {@link EmbeddedChannel} with the pipeline {@link HttpUpstream} gives
 * each pooled connection; the pool only records what is given back to it.
 */
class ExchangeHandlerTest {
  private static final int MAX_BODY = 16;

  private final RecordingPool pool = new RecordingPool();
  private final EmbeddedChannel channel = pipeline();
  private final ExchangeHandler exchange = channel.pipeline().get(ExchangeHandler.class);
  private final CompletableFuture<UpstreamResponse> result = new CompletableFuture<>();

  /** The pipeline {@link HttpUpstream} builds for each connection. */
  private EmbeddedChannel pipeline() {
    EmbeddedChannel embedded = new EmbeddedChannel();
    embedded
        .freezeTime(); // Time moves only by advanceTimeBy: timeouts are exact, whatever the machine
    // does.
    HttpUpstream.initPipeline(embedded.pipeline(), pool, MAX_BODY);
    return embedded;
  }

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @Test
  void completesWithResponseAndReturnsConnectionToPool() throws Exception {
    begin(HttpMethod.GET, 1000);

    receive(
        "HTTP/1.1 201 Created\r\nX-A: 1\r\nContent-Type: text/plain\r\nX-A: 2\r\nContent-Length: 2\r\n\r\nhi");

    UpstreamResponse response = result.get(5, TimeUnit.SECONDS);
    assertThat(response.status()).isEqualTo(201);
    assertThat(response.headers())
        .containsExactly(
            new Header("X-A", "1"),
            new Header("Content-Type", "text/plain"),
            new Header("X-A", "2"),
            new Header("Content-Length", "2"));
    assertThat(response.body()).isEqualTo("hi".getBytes(ISO_8859_1));
    assertThat(pool.released).containsExactly(channel);
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void servesConsecutiveExchangesOnOneConnection() throws Exception {
    begin(HttpMethod.GET, 1000);
    receive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
    assertThat(result.get(5, TimeUnit.SECONDS).body()).isEqualTo("one".getBytes(ISO_8859_1));

    CompletableFuture<UpstreamResponse> second = new CompletableFuture<>();
    exchange.begin(channel, second, 1000);
    send(HttpMethod.GET);
    receive("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");

    assertThat(second.get(5, TimeUnit.SECONDS).body()).isEqualTo("two".getBytes(ISO_8859_1));
    assertThat(pool.released).containsExactly(channel, channel);
  }

  @Test
  void readsBodilessResponseToHeadAndKeepsFraming() throws Exception {
    begin(HttpMethod.HEAD, 1000);
    receive("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");

    UpstreamResponse response = result.get(5, TimeUnit.SECONDS);
    assertThat(response.headers()).contains(new Header("Content-Length", "12"));
    assertThat(response.body()).isEmpty();

    CompletableFuture<UpstreamResponse> next = new CompletableFuture<>();
    exchange.begin(channel, next, 1000);
    send(HttpMethod.GET);
    receive("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
    assertThat(next.get(5, TimeUnit.SECONDS).body()).isEqualTo("next".getBytes(ISO_8859_1));
  }

  @Test
  void readsHeadResponseAnnouncingMoreThanTheBodyLimit() throws Exception {
    begin(HttpMethod.HEAD, 1000);

    receive("HTTP/1.1 200 OK\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n");

    UpstreamResponse response = result.get(5, TimeUnit.SECONDS);
    assertThat(response.headers())
        .contains(new Header("Content-Length", String.valueOf(MAX_BODY + 1)));
    assertThat(response.body()).isEmpty();
  }

  @Test
  void reads304AnnouncingMoreThanTheBodyLimit() throws Exception {
    begin(HttpMethod.GET, 1000);

    receive(
        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: "
            + (MAX_BODY + 1)
            + "\r\n\r\n");

    assertThat(result.get(5, TimeUnit.SECONDS).status()).isEqualTo(304);
  }

  @Test
  void closesConnectionWhenResponseSaysClose() throws Exception {
    begin(HttpMethod.GET, 1000);

    receive("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

    assertThat(result.get(5, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsWithTimeoutWhenNoAnswerComesInTime() {
    begin(HttpMethod.GET, 100);

    channel.advanceTimeBy(99, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat(result).isNotDone();

    channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    assertThat(failure()).isEqualTo(FerryError.TIMEOUT);
    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void cancelsTimeoutWhenAnswered() throws Exception {
    begin(HttpMethod.GET, 100);
    receive("HTTP/1.1 204 No Content\r\n\r\n");

    channel.advanceTimeBy(1, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();

    assertThat(result.get(5, TimeUnit.SECONDS).status()).isEqualTo(204);
    assertThat(channel.isOpen()).isTrue();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsUnavailableWhenConnectionClosesBeforeAnswer() {
    begin(HttpMethod.GET, 1000);

    channel.close();

    assertThat(failure()).isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsUnavailableWhenConnectionFails() {
    begin(HttpMethod.GET, 1000);

    channel.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

    assertThat(failure()).isEqualTo(FerryError.UPSTREAM_UNAVAILABLE);
    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsInvalidWhenResponseIsMalformed() {
    begin(HttpMethod.GET, 1000);

    receive("HTTP/1.1 abc OK\r\n\r\n");

    assertThat(failure()).isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsInvalidWhenResponseBodyIsOverTheLimit() {
    begin(HttpMethod.GET, 1000);

    receive(
        "HTTP/1.1 200 OK\r\nContent-Length: "
            + (MAX_BODY + 1)
            + "\r\n\r\n"
            + "x".repeat(MAX_BODY + 1));

    assertThat(failure()).isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void failsInvalidWhenChunkedResponseBodyGrowsOverTheLimit() {
    begin(HttpMethod.GET, 1000);

    receive(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");

    assertThat(failure()).isEqualTo(FerryError.UPSTREAM_INVALID);
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void givesConnectionBackOnlyOnceWhenFailuresFollowEachOther() {
    begin(HttpMethod.GET, 100);
    channel.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    exchange.fail(FerryError.UPSTREAM_UNAVAILABLE, "again");

    assertThat(failure()).isEqualTo(FerryError.TIMEOUT);
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void dropsResponseThatArrivesWithoutAnExchange() {
    receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

    assertThat(pool.released).isEmpty();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void waitsForFinalResponseAfterInterimOne() throws Exception {
    begin(HttpMethod.GET, 1000);

    receive(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");

    UpstreamResponse response = result.get(5, TimeUnit.SECONDS);
    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("hi".getBytes(ISO_8859_1));
  }

  @Test
  void closesConnectionLeftIdleInThePoolBeforeTheServiceDoes() throws Exception {
    channel.freezeTime();
    begin(HttpMethod.GET, 1000);
    receive("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assertThat(result.get(5, TimeUnit.SECONDS).status()).isEqualTo(200);

    channel.advanceTimeBy(HttpUpstream.IDLE_TIMEOUT_MILLIS - 1, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat(channel.isOpen()).isTrue();

    channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    assertThat(channel.isOpen()).isFalse();
    assertThat(pool.released).containsExactly(channel);
  }

  @Test
  void keepsConnectionOfASlowExchangeOpenPastTheIdleTimeout() {
    channel.freezeTime();
    begin(HttpMethod.GET, 3 * HttpUpstream.IDLE_TIMEOUT_MILLIS);

    channel.advanceTimeBy(2 * HttpUpstream.IDLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    assertThat(channel.isOpen()).isTrue();
    assertThat(result).isNotDone();
    assertThat(pool.released).isEmpty();
  }

  /**
   * Starts an exchange and writes its request, so that the codec knows what the response answers.
   */
  private void begin(HttpMethod method, long timeoutMillis) {
    exchange.begin(channel, result, timeoutMillis);
    send(method);
  }

  private void send(HttpMethod method) {
    channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/x"));
    for (Object written; (written = channel.readOutbound()) != null; ) {
      ReferenceCountUtil.release(written);
    }
  }

  private void receive(String raw) {
    channel.writeInbound(Unpooled.copiedBuffer(raw, ISO_8859_1));
  }

  /** The sidecar error the exchange failed with. */
  private FerryError failure() {
    Throwable thrown = catchThrowable(() -> result.get(5, TimeUnit.SECONDS));
    assertThat(thrown)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(UpstreamException.class);
    return ((UpstreamException) thrown.getCause()).error();
  }

  /** Records the connections given back. */
  private static final class RecordingPool implements Consumer<Channel> {
    final List<Channel> released = new ArrayList<>();

    @Override
    public void accept(Channel channel) {
      released.add(channel);
    }
  }
}
