package dev.ferry.e2e;

import static dev.ferry.e2e.AdminProbes.awaitNothingPending;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.client.ClientSidecar;
import dev.ferry.e2e.TaggedCalls.Outcome;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.testing.RabbitBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst five times over the client sidecar's admission bound (by count, then by bytes): the
 * requests beyond it are answered {@code 503 overloaded} at once instead of being held, every
 * request still gets exactly one outcome, the admitted ones succeed, and nothing stays pending.
 */
class OverloadIT {
  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  private static final int CAPACITY = 20;
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @Test
  void aBurstOverTheCountBoundIsAnsweredOverloadedBeyondIt() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "burst")) {
      pair.server("http://127.0.0.1:" + echo.port(), "--concurrency", "4");
      ClientSidecar client = pair.client("--max-pending", Integer.toString(CAPACITY));
      TaggedCalls calls = new TaggedCalls(client.httpPort(), "burst");

      for (int i = 0; i < 5 * CAPACITY; i++) {
        calls.send("delay=300", DEADLINE);
      }
      List<Outcome> outcomes = calls.awaitAll();

      assertBounded(outcomes, echo);
      awaitNothingPending(client.adminPort());
    }
  }

  @Test
  void aBurstOverTheByteBoundIsAnsweredOverloadedBeyondIt() throws Exception {
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        Pair pair = new Pair(broker, "burst-bytes")) {
      pair.server("http://127.0.0.1:" + echo.port(), "--concurrency", "4");
      // 20 bodies of 16 KiB fit in 320 KiB; the 21st waiting one would not.
      ClientSidecar client =
          pair.client("--max-pending-bytes", "320KiB", "--max-body-size", "16KiB");
      TaggedCalls calls = new TaggedCalls(client.httpPort(), "burst-bytes");

      for (int i = 0; i < 5 * CAPACITY; i++) {
        calls.send("delay=300", DEADLINE, new byte[16 * 1024]);
      }
      List<Outcome> outcomes = calls.awaitAll();

      assertBounded(outcomes, echo);
      awaitNothingPending(client.adminPort());
    }
  }

  /**
   * One outcome each; only 200 or 503 overloaded; the service ran exactly the admitted ones; and
   * most of the burst was refused (the service takes 4 at a time for 300 ms each, far slower than
   * the burst arrives), so the client held no more than its bound.
   */
  private static void assertBounded(List<Outcome> outcomes, EchoServer echo) {
    TaggedCalls.assertInvariants(outcomes);
    Map<String, Long> tally = TaggedCalls.tally(outcomes);
    assertThat(tally.keySet()).isSubsetOf("200", "503 overloaded");
    long ok = tally.getOrDefault("200", 0L);
    long refused = tally.getOrDefault("503 overloaded", 0L);
    assertThat(ok + refused).isEqualTo(5 * CAPACITY);
    assertThat(ok).isGreaterThanOrEqualTo(CAPACITY);
    assertThat(refused).isGreaterThanOrEqualTo(2 * CAPACITY);
    assertThat(echo.requests()).isEqualTo(ok);
  }
}
