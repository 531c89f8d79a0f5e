package dev.ferry.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.ResponseEnvelope;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyCacheTest {
  private static ResponseEnvelope reply(int bodySize) {
    return new ResponseEnvelope("c", 200, List.of(), new byte[bodySize], null, 0);
  }

  @Test
  void answersAMessageIdUntilItsDeadline() {
    ReplyCache cache = new ReplyCache(10, 1000);
    ResponseEnvelope reply = reply(3);
    cache.put("m1", reply, 1_000);

    assertThat(cache.get("m1", 999)).isSameAs(reply);
    assertThat(cache.get("m1", 1_001)).isNull();
    assertThat(cache.get("m2", 0)).isNull();
  }

  @Test
  void dropsTheOldestBeyondItsEntryBound() {
    ReplyCache cache = new ReplyCache(2, 1000);
    cache.put("m1", reply(1), 10);
    cache.put("m2", reply(1), 10);
    cache.put("m3", reply(1), 10);

    assertThat(cache.get("m1", 0)).isNull();
    assertThat(cache.get("m2", 0)).isNotNull();
    assertThat(cache.get("m3", 0)).isNotNull();
  }

  @Test
  void dropsTheOldestBeyondItsByteBoundAndSkipsOversizedReplies() {
    ReplyCache cache = new ReplyCache(10, 100);
    cache.put("m1", reply(60), 10);
    cache.put("m2", reply(60), 10);
    cache.put("huge", reply(101), 10);

    assertThat(cache.get("m1", 0)).isNull();
    assertThat(cache.get("m2", 0)).isNotNull();
    assertThat(cache.get("huge", 0)).isNull();
  }

  @Test
  void keepsNothingWhenTurnedOff() {
    ReplyCache cache = new ReplyCache(0, 100);
    cache.put("m1", reply(1), 10);

    assertThat(cache.size()).isZero();
  }
}
