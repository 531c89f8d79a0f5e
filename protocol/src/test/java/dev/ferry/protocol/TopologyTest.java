package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopologyTest {
  @Test
  void namesTheQueuesOfAService() {
    assertThat(Topology.requestQueue("orders")).isEqualTo("ferry.req.orders");
    assertThat(Topology.deadLetterQueue("orders")).isEqualTo("ferry.dlq.orders");
    assertThat(Topology.replyQueue("web-5c2e")).isEqualTo("ferry.reply.web-5c2e");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "orders", "Orders.v2", "billing_api-eu.1", "9lives"})
  void acceptsServiceNamesOfLettersDigitsDotsUnderscoresAndHyphens(String service) {
    assertThat(Topology.checkServiceName(service)).isEqualTo(service);
  }

  @Test
  void acceptsServiceNamesOfUpTo200Characters() {
    String longest = "s".repeat(200);
    assertThat(Topology.requestQueue(longest)).hasSize(210);
    assertThatThrownBy(() -> Topology.checkServiceName(longest + "s"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", ".orders", "_orders", "-orders", "or ders", "or/ders", "caf\u00e9", "a*"})
  void rejectsOtherServiceNamesSayingWhatIsExpected(String service) {
    assertThatThrownBy(() -> Topology.requestQueue(service))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("service: '" + service + "'")
        .hasMessageContaining("expected: 1-200 of A-Z a-z 0-9 . _ -");
  }

  @Test
  void rejectsAMissingServiceName() {
    assertThatThrownBy(() -> Topology.deadLetterQueue(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void declaresRequestQueuesWithOnlyTheirType() {
    assertThat(Topology.requestQueueArguments(QueueType.QUORUM))
        .containsExactly(entry("x-queue-type", "quorum"));
    assertThat(Topology.requestQueueArguments(QueueType.CLASSIC))
        .containsExactly(entry("x-queue-type", "classic"));
  }
}
