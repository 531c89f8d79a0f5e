package dev.ferry.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.FerryError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server sidecar's request meters exist before the first request. */
class DispatchMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final DispatchMetrics metrics = new DispatchMetrics(registry, "echo", new InFlight());

  @Test
  void registersEveryOutcomeAtConstruction() {
    List<String> expected =
        new ArrayList<>(
            List.of("ok", "expired", "malformed", "rejected", "cached", "poison", "handed-back"));
    for (FerryError error : FerryError.values()) {
      expected.add(error.code());
    }

    assertThat(registry.find("ferry.server.requests").tag("service", "echo").counters())
        .extracting(counter -> counter.getId().getTag("outcome"))
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(registry.find("ferry.server.requests").counters())
        .allSatisfy(counter -> assertThat(counter.count()).isZero());
  }

  @Test
  void countsEachOutcomeOnItsOwnCounter() {
    metrics.replied(null);
    metrics.replied(null);
    metrics.replied(FerryError.TIMEOUT);
    metrics.expired();
    metrics.malformed();

    assertThat(count("ok")).isEqualTo(2);
    assertThat(count("timeout")).isEqualTo(1);
    assertThat(count("expired")).isEqualTo(1);
    assertThat(count("malformed")).isEqualTo(1);
    assertThat(count("upstream-unavailable")).isZero();
  }

  private double count(String outcome) {
    Counter counter = registry.get("ferry.server.requests").tag("outcome", outcome).counter();
    return counter.count();
  }
}
