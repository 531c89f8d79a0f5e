package dev.ferry.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatsCodecTest {
  private static final long NOW = 1_764_000_000_123L;

  @Test
  void encodesATransientReportWithItsLifetimeAsTtl() {
    AmqpMessage message = StatsCodec.encode(new InstanceStats("orders", "i-1", 3, 16, 3_000), NOW);

    AMQP.BasicProperties properties = message.properties();
    assertThat(properties.getType()).isEqualTo("ferry.stats");
    assertThat(properties.getDeliveryMode()).isEqualTo(1);
    assertThat(properties.getExpiration()).isEqualTo("3000");
    assertThat(properties.getTimestamp().getTime()).isEqualTo(1_764_000_000_000L);
    assertThat(properties.getHeaders())
        .containsEntry("ferry-version", 1)
        .containsEntry("ferry-in-flight", 3L)
        .containsEntry("ferry-concurrency", 16)
        .containsEntry("ferry-expires-ms", 3_000L);
    assertThat(properties.getHeaders().get("ferry-service").toString()).isEqualTo("orders");
    assertThat(message.body()).isEmpty();
  }

  @Test
  void roundTripsAReportAndTheLastOneOfAStoppingInstance() throws Exception {
    InstanceStats live = new InstanceStats("Orders.v2", "0123abcd", 7, 4, 3_000);
    InstanceStats gone = new InstanceStats("orders", "0123abcd", 0, 4, 0);

    assertThat(StatsCodec.decode(StatsCodec.encode(live, NOW).properties())).isEqualTo(live);
    AmqpMessage last = StatsCodec.encode(gone, NOW);
    assertThat(last.properties().getExpiration()).isNull();
    assertThat(StatsCodec.decode(last.properties()).gone()).isTrue();
  }

  @Test
  void acceptsAnyIntegerTypeForTheCounts() throws Exception {
    Map<String, Object> headers = headers();
    headers.put("ferry-in-flight", (byte) 2);
    headers.put("ferry-expires-ms", 1_000);

    assertThat(StatsCodec.decode(properties(headers)).inFlight()).isEqualTo(2);
  }

  @Test
  void namesTheFieldOfABadReport() {
    assertRejected(with("ferry-version", 2), "ferry-version");
    assertRejected(with("ferry-in-flight", -1L), "ferry-in-flight");
    assertRejected(with("ferry-expires-ms", 3_600_001L), "ferry-expires-ms");
    assertRejected(with("ferry-service", EnvelopeCodec.bytes("or ders")), "ferry-service");
    assertRejected(with("ferry-instance", EnvelopeCodec.bytes("")), "ferry-instance");
    assertRejected(with("ferry-in-flight", "3"), "ferry-in-flight");
    Map<String, Object> noExpiry = headers();
    noExpiry.remove("ferry-expires-ms");
    assertRejected(noExpiry, "ferry-expires-ms");
    assertThatThrownBy(
            () -> StatsCodec.decode(properties(headers()).builder().type("ferry.response").build()))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageStartingWith("type:");
  }

  private static void assertRejected(Map<String, Object> headers, String field) {
    assertThatThrownBy(() -> StatsCodec.decode(properties(headers)))
        .isInstanceOfSatisfying(
            MalformedMessageException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  private static Map<String, Object> with(String name, Object value) {
    Map<String, Object> headers = headers();
    headers.put(name, value);
    return headers;
  }

  private static Map<String, Object> headers() {
    return new LinkedHashMap<>(
        StatsCodec.encode(new InstanceStats("orders", "i-1", 1, 16, 3_000), NOW)
            .properties()
            .getHeaders());
  }

  private static AMQP.BasicProperties properties(Map<String, Object> headers) {
    return new AMQP.BasicProperties.Builder().type("ferry.stats").headers(headers).build();
  }
}
