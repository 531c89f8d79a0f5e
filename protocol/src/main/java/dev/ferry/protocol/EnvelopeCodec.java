package dev.ferry.protocol;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.impl.LongStringHelper;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes request and response envelopes as AMQP messages, and decodes them with strict validation.
 * Stateless and thread-safe. PROTOCOL.md is the specification this class implements.
 */
public final class EnvelopeCodec {
  /** The protocol version this codec writes and the only one it reads. */
  public static final int VERSION = 1;

  public static final String TYPE_REQUEST = "ferry.request";
  public static final String TYPE_RESPONSE = "ferry.response";

  public static final String H_VERSION = "ferry-version";
  public static final String H_KIND = "ferry-kind";
  public static final String H_METHOD = "ferry-method";
  public static final String H_TARGET = "ferry-target";
  public static final String H_HEADERS = "ferry-headers";
  public static final String H_SENT_AT = "ferry-sent-at";
  public static final String H_DEADLINE = "ferry-deadline";
  public static final String H_STATUS = "ferry-status";
  public static final String H_ERROR = "ferry-error";
  public static final String H_QUEUE_MILLIS = "ferry-queue-ms";

  /** At most this many header fields travel in one envelope. */
  public static final int MAX_HEADER_FIELDS = 1024;

  /** The longest per-message TTL RabbitMQ accepts (ten years); a larger one closes the channel. */
  public static final long MAX_EXPIRATION_MILLIS = 315_360_000_000L;

  private static final int PERSISTENT = 2;
  private static final int TRANSIENT = 1;

  private EnvelopeCodec() {}

  /** Encodes a request. Its AMQP {@code expiration} is the time left from sending to deadline. */
  public static AmqpMessage encodeRequest(RequestEnvelope request) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(H_VERSION, VERSION);
    headers.put(H_KIND, bytes(request.kind().wireName()));
    headers.put(H_METHOD, bytes(request.method()));
    headers.put(H_TARGET, bytes(request.target()));
    headers.put(H_HEADERS, encodeHeaders(request.headers()));
    headers.put(H_SENT_AT, request.sentAtMillis());
    headers.put(H_DEADLINE, request.deadlineMillis());
    long ttl =
        Math.min(
            MAX_EXPIRATION_MILLIS, Math.max(1, request.deadlineMillis() - request.sentAtMillis()));
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(TYPE_REQUEST)
            .messageId(request.messageId())
            .correlationId(request.correlationId())
            .replyTo(request.replyTo())
            .timestamp(new Date(request.sentAtMillis() / 1000 * 1000))
            .expiration(Long.toString(ttl))
            .deliveryMode(PERSISTENT)
            .headers(headers)
            .build();
    return new AmqpMessage(properties, request.body());
  }

  /** Encodes a response (the service's answer or a sidecar error). */
  public static AmqpMessage encodeResponse(ResponseEnvelope response, long nowMillis) {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put(H_VERSION, VERSION);
    headers.put(H_STATUS, response.status());
    headers.put(H_HEADERS, encodeHeaders(response.headers()));
    if (response.error() != null) {
      headers.put(H_ERROR, bytes(response.error().code()));
    }
    if (response.queueMillis() >= 0) {
      headers.put(H_QUEUE_MILLIS, response.queueMillis());
    }
    AMQP.BasicProperties properties =
        new AMQP.BasicProperties.Builder()
            .type(TYPE_RESPONSE)
            .correlationId(response.correlationId())
            .timestamp(new Date(nowMillis / 1000 * 1000))
            .deliveryMode(TRANSIENT)
            .headers(headers)
            .build();
    return new AmqpMessage(properties, response.body());
  }

  /** Decodes a request, or names the first thing that is wrong with it. */
  public static RequestEnvelope decodeRequest(AMQP.BasicProperties properties, byte[] body)
      throws MalformedMessageException {
    Map<String, Object> headers = Fields.headers(properties);
    Fields.checkVersion(headers);
    Fields.checkType(properties, TYPE_REQUEST);
    String kindName = Fields.string(headers, H_KIND);
    CallKind kind = CallKind.fromWire(kindName);
    if (kind == null) {
      throw MalformedMessageException.of(
          H_KIND, "unknown kind '" + kindName + "' (expected: http or grpc)");
    }
    String method = Fields.nonEmpty(H_METHOD, Fields.string(headers, H_METHOD));
    String target = Fields.string(headers, H_TARGET);
    if (kind == CallKind.HTTP) {
      Fields.checkToken(H_METHOD, method);
      Fields.checkTarget(target);
    }
    return new RequestEnvelope(
        kind,
        method,
        target,
        Fields.headerList(headers, H_HEADERS, kind == CallKind.GRPC),
        body == null ? new byte[0] : body,
        Fields.property("message_id", properties.getMessageId()),
        Fields.property("correlation_id", properties.getCorrelationId()),
        Fields.replyTo(properties.getReplyTo()),
        Fields.nonNegative(H_SENT_AT, Fields.integer(headers, H_SENT_AT)),
        Fields.positive(H_DEADLINE, Fields.integer(headers, H_DEADLINE)));
  }

  /** Decodes a response, or names the first thing that is wrong with it. */
  public static ResponseEnvelope decodeResponse(AMQP.BasicProperties properties, byte[] body)
      throws MalformedMessageException {
    Map<String, Object> headers = Fields.headers(properties);
    Fields.checkVersion(headers);
    Fields.checkType(properties, TYPE_RESPONSE);
    long status = Fields.integer(headers, H_STATUS);
    if (status < 100 || status > 999) {
      throw MalformedMessageException.of(H_STATUS, status + " (expected: 100..999)");
    }
    FerryError error = null;
    if (headers.containsKey(H_ERROR)) {
      String code = Fields.string(headers, H_ERROR);
      error = FerryError.fromCode(code);
      if (error == null) {
        throw MalformedMessageException.of(H_ERROR, "unknown error code '" + code + "'");
      }
    }
    long queueMillis =
        headers.containsKey(H_QUEUE_MILLIS)
            ? Fields.nonNegative(H_QUEUE_MILLIS, Fields.integer(headers, H_QUEUE_MILLIS))
            : -1;
    return new ResponseEnvelope(
        Fields.property("correlation_id", properties.getCorrelationId()),
        (int) status,
        Fields.headerList(headers),
        body == null ? new byte[0] : body,
        error,
        queueMillis);
  }

  static List<Object> encodeHeaders(List<Header> headers) {
    List<Object> values = new ArrayList<>(headers.size() * 2);
    for (Header header : headers) {
      values.add(bytes(header.name()));
      values.add(bytes(header.value()));
    }
    return values;
  }

  /**
   * One octet per character, as an AMQP long string; a character above U+00FF is a caller's bug,
   * not something to mangle.
   *
   * <p>Pure US-ASCII text (nearly every header) is returned as the {@link String} itself: the
   * amqp-client writes a {@code String} as the same long string ({@code 'S'}, length, its UTF-8
   * octets, which for ASCII are the Latin-1 octets), but it writes a {@link LongString} through a
   * stream copy that allocates a fresh 4 KiB buffer per value, which was two thirds of the
   * sidecars' allocation under load. Receivers always get a {@link LongString} from the broker.
   */
  static Object bytes(String latin1) {
    int length = latin1.length();
    int i = 0;
    while (i < length && latin1.charAt(i) < 0x80) {
      i++;
    }
    if (i == length) {
      return latin1;
    }
    byte[] octets = new byte[length];
    for (i = 0; i < octets.length; i++) {
      char c = latin1.charAt(i);
      if (c > 0xff) {
        throw new IllegalArgumentException(
            "character U+"
                + Integer.toHexString(c)
                + " at offset "
                + i
                + " is not an octet (expected: U+0000..U+00FF)");
      }
      octets[i] = (byte) c;
    }
    return LongStringHelper.asLongString(octets);
  }

  /** Whether {@code headers} can be encoded: at most {@link #MAX_HEADER_FIELDS} fields. */
  public static boolean fitsHeaderLimit(List<Header> headers) {
    return headers.size() <= MAX_HEADER_FIELDS;
  }
}
