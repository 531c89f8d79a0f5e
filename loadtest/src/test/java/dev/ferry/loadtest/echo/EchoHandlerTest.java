package dev.ferry.loadtest.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EchoHandlerTest {
  private final LongAdder requests = new LongAdder();
  private final EmbeddedChannel channel = channel();

  @AfterEach
  void finish() {
    channel.finishAndReleaseAll();
  }

  @Test
  void answersOnlyOnceDelayHasPassed() {
    channel.writeInbound(request("/slow?delay=100", "body"));

    channel.advanceTimeBy(99, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat((Object) channel.readOutbound()).isNull();

    channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    try {
      assertThat(response.content().toString(StandardCharsets.UTF_8)).isEqualTo("body");
    } finally {
      response.release();
    }
  }

  @Test
  void keepsResponsesInRequestOrderWhenAnEarlierOneIsDelayed() {
    channel.writeInbound(request("/first?delay=100", ""));
    channel.writeInbound(request("/second", ""));
    assertThat((Object) channel.readOutbound()).isNull();

    channel.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    assertThat(nextUri()).isEqualTo("/first?delay=100");
    assertThat(nextUri()).isEqualTo("/second");
  }

  @Test
  void countsRequestsOnArrival() {
    channel.writeInbound(request("/slow?delay=1000", ""));
    channel.writeInbound(request("/healthz", ""));
    channel.writeInbound(request("/stats", ""));

    assertThat(requests.sum()).isEqualTo(1);
  }

  @Test
  void closesWithoutAnsweringWhenAskedToClose() {
    channel.writeInbound(request("/?close=1", "body"));

    assertThat(channel.isOpen()).isFalse();
    assertThat((Object) channel.readOutbound()).isNull();
  }

  private String nextUri() {
    FullHttpResponse response = channel.readOutbound();
    try {
      return response.headers().get("x-echo-uri");
    } finally {
      response.release();
    }
  }

  private EmbeddedChannel channel() {
    ArrivedHeaders arrived = new ArrivedHeaders();
    EmbeddedChannel channel = new EmbeddedChannel(arrived, new EchoHandler(requests, arrived));
    channel.freezeTime();
    return channel;
  }

  private static FullHttpRequest request(String uri, String body) {
    return new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1,
        HttpMethod.POST,
        uri,
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
  }
}
