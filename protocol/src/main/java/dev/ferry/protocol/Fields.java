package dev.ferry.protocol;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Strict readers for the AMQP properties and header fields of an envelope. */
final class Fields {
  private Fields() {}

  static Map<String, Object> headers(AMQP.BasicProperties properties)
      throws MalformedMessageException {
    Map<String, Object> headers = properties.getHeaders();
    if (headers == null) {
      throw MalformedMessageException.of("headers", "missing (not a Ferry message)");
    }
    return headers;
  }

  /** Checked first, before anything whose meaning could differ in another version. */
  static void checkVersion(Map<String, Object> headers) throws MalformedMessageException {
    long version = integer(headers, EnvelopeCodec.H_VERSION);
    if (version != EnvelopeCodec.VERSION) {
      throw new MalformedMessageException(
          FerryError.UNSUPPORTED_VERSION,
          EnvelopeCodec.H_VERSION,
          "unsupported version " + version + " (expected: " + EnvelopeCodec.VERSION + ")");
    }
  }

  static void checkType(AMQP.BasicProperties properties, String expected)
      throws MalformedMessageException {
    if (!expected.equals(properties.getType())) {
      throw MalformedMessageException.of(
          "type", "'" + properties.getType() + "' (expected: " + expected + ")");
    }
  }

  static String property(String name, String value) throws MalformedMessageException {
    if (value == null || value.isEmpty()) {
      throw MalformedMessageException.of(name, "missing");
    }
    return value;
  }

  /** A request's reply queue must be a Ferry reply queue, never an arbitrary queue. */
  static String replyTo(String value) throws MalformedMessageException {
    return queueName("reply_to", property("reply_to", value), Topology.REPLY_PREFIX);
  }

  /** A queue Ferry sends to must be one of its own kind: {@code prefix} and an instance. */
  static String queueName(String field, String value, String prefix)
      throws MalformedMessageException {
    if (!value.startsWith(prefix) || value.length() == prefix.length()) {
      throw MalformedMessageException.of(
          field,
          "'" + printable(value) + "' is not a Ferry queue (expected: " + prefix + "<instance>)");
    }
    return value;
  }

  static String string(Map<String, Object> headers, String name) throws MalformedMessageException {
    Object value = headers.get(name);
    if (value == null) {
      throw MalformedMessageException.of(name, "missing");
    }
    return latin1(name, value);
  }

  static long integer(Map<String, Object> headers, String name) throws MalformedMessageException {
    Object value = headers.get(name);
    if (value == null) {
      throw MalformedMessageException.of(name, "missing");
    }
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    throw MalformedMessageException.of(name, "not an integer (" + typeName(value) + ")");
  }

  /** An optional boolean header: false when absent. */
  static boolean flag(Map<String, Object> headers, String name) throws MalformedMessageException {
    Object value = headers.get(name);
    if (value == null) {
      return false;
    }
    if (value instanceof Boolean bool) {
      return bool;
    }
    throw MalformedMessageException.of(name, "not a boolean (" + typeName(value) + ")");
  }

  /** An optional integer header in {@code [min, max]}: {@code absent} when missing. */
  static long integer(Map<String, Object> headers, String name, long min, long max, long absent)
      throws MalformedMessageException {
    if (!headers.containsKey(name)) {
      return absent;
    }
    long value = integer(headers, name);
    if (value < min || value > max) {
      throw MalformedMessageException.of(name, value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  /** A long-string header read as UTF-8 text. */
  static String utf8(Map<String, Object> headers, String name) throws MalformedMessageException {
    Object value = headers.get(name);
    if (value instanceof LongString longString) {
      return new String(longString.getBytes(), StandardCharsets.UTF_8);
    }
    if (value instanceof String text) {
      return text;
    }
    throw MalformedMessageException.of(
        name, value == null ? "missing" : "not a long string (" + typeName(value) + ")");
  }

  static String nonEmpty(String name, String value) throws MalformedMessageException {
    if (value.isEmpty()) {
      throw MalformedMessageException.of(name, "empty");
    }
    return value;
  }

  static long positive(String name, long value) throws MalformedMessageException {
    if (value <= 0) {
      throw MalformedMessageException.of(name, value + " (expected: > 0)");
    }
    return value;
  }

  static long nonNegative(String name, long value) throws MalformedMessageException {
    if (value < 0) {
      throw MalformedMessageException.of(name, value + " (expected: >= 0)");
    }
    return value;
  }

  static void checkToken(String name, String value) throws MalformedMessageException {
    for (int i = 0; i < value.length(); i++) {
      if (!isTokenChar(value.charAt(i))) {
        throw MalformedMessageException.of(name, "'" + printable(value) + "' is not an HTTP token");
      }
    }
  }

  static void checkTarget(String target) throws MalformedMessageException {
    if (target.isEmpty()) {
      throw MalformedMessageException.of(EnvelopeCodec.H_TARGET, "empty");
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw MalformedMessageException.of(
            EnvelopeCodec.H_TARGET, "control character or space at offset " + i);
      }
    }
  }

  static List<Header> headerList(Map<String, Object> headers) throws MalformedMessageException {
    return headerList(headers, EnvelopeCodec.H_HEADERS, false);
  }

  /**
   * Reads the header array {@code name}. With {@code grpc}, the values of {@code -bin} keys are
   * binary metadata and may hold any octet.
   */
  static List<Header> headerList(Map<String, Object> headers, String name, boolean grpc)
      throws MalformedMessageException {
    Object value = headers.get(name);
    if (value == null) {
      throw MalformedMessageException.of(name, "missing");
    }
    if (!(value instanceof List<?> items)) {
      throw MalformedMessageException.of(name, "not an array (" + typeName(value) + ")");
    }
    if (items.size() % 2 != 0) {
      throw MalformedMessageException.of(name, "odd number of elements (" + items.size() + ")");
    }
    if (items.size() / 2 > EnvelopeCodec.MAX_HEADER_FIELDS) {
      throw MalformedMessageException.of(
          name,
          items.size() / 2 + " fields (expected: <= " + EnvelopeCodec.MAX_HEADER_FIELDS + ")");
    }
    List<Header> result = new ArrayList<>(items.size() / 2);
    for (int i = 0; i < items.size(); i += 2) {
      String fieldName = latin1(name + "[" + i + "]", items.get(i));
      String fieldValue = latin1(name + "[" + (i + 1) + "]", items.get(i + 1));
      if (fieldName.isEmpty()) {
        throw MalformedMessageException.of(name + "[" + i + "]", "empty header name");
      }
      checkToken(name + "[" + i + "]", fieldName);
      if (!(grpc && fieldName.endsWith("-bin"))) {
        checkFieldValue(name + "[" + (i + 1) + "]", fieldValue);
      }
      result.add(new Header(fieldName, fieldValue));
    }
    return result;
  }

  private static void checkFieldValue(String name, String value) throws MalformedMessageException {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw MalformedMessageException.of(name, "CR, LF or NUL in header value at offset " + i);
      }
    }
  }

  private static String latin1(String name, Object value) throws MalformedMessageException {
    if (value instanceof LongString longString) {
      return new String(longString.getBytes(), StandardCharsets.ISO_8859_1);
    }
    if (value instanceof String ascii) {
      // only from an envelope encoded in this process (EnvelopeCodec.bytes); the broker's are all
      // LongString
      return ascii;
    }
    throw MalformedMessageException.of(name, "not a long string (" + typeName(value) + ")");
  }

  private static boolean isTokenChar(char c) {
    return c > ' ' && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
  }

  private static String typeName(Object value) {
    return value == null ? "void" : value.getClass().getSimpleName();
  }

  private static String printable(String value) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.length() && i < 64; i++) {
      char c = value.charAt(i);
      out.append(c >= ' ' && c < 0x7f ? c : '?');
    }
    return out.toString();
  }
}
