package dev.ferry.protocol;

import com.rabbitmq.client.AMQP;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes and decodes the scaling signals of PROTOCOL.md section 17: the {@code ferry.stats}
 * messages in which every server sidecar reports its in-flight requests, published to the durable
 * fanout exchange {@value #EXCHANGE} that the scaler's queue is bound to. Stateless.
 */
public final class StatsCodec {
  /** The durable fanout exchange stats are published to (routing key empty). */
  public static final String EXCHANGE = "ferry.stats";

  public static final String TYPE = "ferry.stats";

  public static final String H_SERVICE = "ferry-service";
  public static final String H_INSTANCE = "ferry-instance";
  public static final String H_IN_FLIGHT = "ferry-in-flight";
  public static final String H_CONCURRENCY = "ferry-concurrency";
  public static final String H_EXPIRES = "ferry-expires-ms";

  /** The longest a report may count: one hour. */
  public static final long MAX_EXPIRES_MILLIS = 3_600_000;

  private StatsCodec() {}

  /**
   * Encodes {@code stats}: transient, an empty body, and the report's lifetime also as the
   * per-message TTL ({@code expiration}), so that a report nobody read in time is dropped.
   */
  public static AmqpMessage encode(InstanceStats stats, long nowMillis) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(EnvelopeCodec.H_VERSION, EnvelopeCodec.VERSION);
    headers.put(H_SERVICE, EnvelopeCodec.bytes(stats.service()));
    headers.put(H_INSTANCE, EnvelopeCodec.bytes(stats.instance()));
    headers.put(H_IN_FLIGHT, stats.inFlight());
    headers.put(H_CONCURRENCY, stats.concurrency());
    headers.put(H_EXPIRES, stats.expiresMillis());
    AMQP.BasicProperties.Builder properties =
        new AMQP.BasicProperties.Builder()
            .type(TYPE)
            .timestamp(new Date(nowMillis / 1000 * 1000))
            .deliveryMode(1)
            .headers(headers);
    if (!stats.gone()) {
      properties.expiration(Long.toString(stats.expiresMillis()));
    }
    return new AmqpMessage(properties.build(), new byte[0]);
  }

  /** Decodes a report, or names the first thing that is wrong with it. */
  public static InstanceStats decode(AMQP.BasicProperties properties)
      throws MalformedMessageException {
    Map<String, Object> headers = Fields.headers(properties);
    Fields.checkVersion(headers);
    Fields.checkType(properties, TYPE);
    String service = Fields.string(headers, H_SERVICE);
    try {
      Topology.checkServiceName(service);
    } catch (IllegalArgumentException e) {
      throw MalformedMessageException.of(H_SERVICE, e.getMessage());
    }
    String instance = Fields.nonEmpty(H_INSTANCE, Fields.string(headers, H_INSTANCE));
    if (instance.length() > 255) {
      throw MalformedMessageException.of(H_INSTANCE, "longer than 255 characters");
    }
    return new InstanceStats(
        service,
        instance,
        required(headers, H_IN_FLIGHT, 0, Long.MAX_VALUE),
        (int) required(headers, H_CONCURRENCY, 0, Integer.MAX_VALUE),
        required(headers, H_EXPIRES, 0, MAX_EXPIRES_MILLIS));
  }

  /** An integer header that must be present and in {@code [min, max]}. */
  private static long required(Map<String, Object> headers, String name, long min, long max)
      throws MalformedMessageException {
    Fields.integer(headers, name); // Names a missing header or a wrong type.
    return Fields.integer(headers, name, min, max, 0);
  }
}
