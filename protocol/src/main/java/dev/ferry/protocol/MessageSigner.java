package dev.ferry.protocol;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies Ferry messages with HMAC-SHA256 under keys shared by the sidecars of one
 * deployment (PROTOCOL.md §16), so that messages published by anyone else on the broker are told
 * apart and rejected. The first key signs; every key verifies, so that keys can be rotated without
 * downtime. Thread-safe.
 */
public final class MessageSigner {
  /** The header that carries the signature: {@code v1=} and the unpadded base64url HMAC. */
  public static final String H_SIGNATURE = "ferry-signature";

  /** The shortest key accepted, in bytes. */
  public static final int MIN_KEY_BYTES = 16;

  private static final String SCHEME = "v1=";
  private static final String FERRY_PREFIX = "ferry-";
  private static final byte[] DOMAIN = "ferry-hmac-v1".getBytes(StandardCharsets.US_ASCII);
  private static final String ALGORITHM = "HmacSHA256";

  /** Signs nothing and accepts everything: a deployment without signing keys. */
  public static final MessageSigner NONE = new MessageSigner(List.of());

  private final List<SecretKeySpec> keys;

  private MessageSigner(List<SecretKeySpec> keys) {
    this.keys = keys;
  }

  /** True when this signer signs and verifies (it has keys). */
  public boolean enabled() {
    return !keys.isEmpty();
  }

  /** A signer with {@code keys}: the first signs, all verify. */
  public static MessageSigner of(List<byte[]> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no signing key");
    }
    List<SecretKeySpec> specs = new ArrayList<>();
    for (byte[] key : keys) {
      if (key.length < MIN_KEY_BYTES) {
        throw new IllegalArgumentException(
            "a signing key is shorter than " + MIN_KEY_BYTES + " bytes");
      }
      specs.add(new SecretKeySpec(key.clone(), ALGORITHM));
    }
    return new MessageSigner(List.copyOf(specs));
  }

  /**
   * Keys as a key file holds them: one per non-blank line, its UTF-8 bytes with surrounding spaces
   * trimmed.
   */
  public static MessageSigner fromKeyFile(String content) {
    List<byte[]> keys = new ArrayList<>();
    for (String line : content.split("\n")) {
      String key = line.strip();
      if (!key.isEmpty()) {
        keys.add(key.getBytes(StandardCharsets.UTF_8));
      }
    }
    return of(keys);
  }

  /** {@code message} with its signature for publishing to {@code exchange}/{@code routingKey}. */
  public AmqpMessage sign(AmqpMessage message, String exchange, String routingKey) {
    if (keys.isEmpty()) {
      return message;
    }
    AMQP.BasicProperties properties = message.properties();
    Map<String, Object> headers = new LinkedHashMap<>();
    if (properties.getHeaders() != null) {
      headers.putAll(properties.getHeaders());
    }
    headers.remove(H_SIGNATURE);
    byte[] mac =
        mac(keys.get(0), canonical(properties, headers, message.body(), exchange, routingKey));
    headers.put(H_SIGNATURE, SCHEME + Base64.getUrlEncoder().withoutPadding().encodeToString(mac));
    return new AmqpMessage(properties.builder().headers(headers).build(), message.body());
  }

  /**
   * Checks a delivered message's signature; names what is wrong (missing, malformed or not matching
   * any key) in the exception.
   */
  public void verify(
      AMQP.BasicProperties properties, byte[] body, String exchange, String routingKey)
      throws MalformedMessageException {
    if (keys.isEmpty()) {
      return;
    }
    Map<String, Object> headers =
        properties.getHeaders() == null ? Map.of() : properties.getHeaders();
    Object signature = headers.get(H_SIGNATURE);
    if (signature == null) {
      throw MalformedMessageException.of(H_SIGNATURE, "missing (this deployment signs messages)");
    }
    String text = signature.toString();
    byte[] claimed;
    try {
      if (!text.startsWith(SCHEME)) {
        throw new IllegalArgumentException();
      }
      claimed = Base64.getUrlDecoder().decode(text.substring(SCHEME.length()));
    } catch (IllegalArgumentException e) {
      throw MalformedMessageException.of(H_SIGNATURE, "not a v1 signature");
    }
    byte[] canonical = canonical(properties, headers, body, exchange, routingKey);
    for (SecretKeySpec key : keys) {
      if (MessageDigest.isEqual(mac(key, canonical), claimed)) {
        return;
      }
    }
    throw MalformedMessageException.of(H_SIGNATURE, "does not match (wrong key or altered)");
  }

  private static byte[] mac(SecretKeySpec key, byte[] canonical) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(canonical);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /**
   * The bytes the signature covers (PROTOCOL.md §16): the domain, the exchange and routing key, the
   * properties Ferry reads, the {@code ferry-} headers but the signature (sorted by name), and the
   * body. Headers anything else adds on the way (the broker's {@code x-} headers, a timestamp
   * interceptor's, a plugin's) are left out, so they cannot break a signature; Ferry reads none of
   * them but {@code x-delivery-count}. Any value amqp-client decodes can be encoded.
   */
  static byte[] canonical(
      AMQP.BasicProperties properties,
      Map<String, Object> headers,
      byte[] body,
      String exchange,
      String routingKey) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + body.length);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(DOMAIN);
      string(out, exchange);
      string(out, routingKey);
      string(out, properties.getType());
      string(out, properties.getMessageId());
      string(out, properties.getCorrelationId());
      string(out, properties.getReplyTo());
      string(out, properties.getExpiration());
      table(out, headers, true);
      out.writeInt(body.length);
      out.write(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A table's entries sorted by name; only the {@code ferry-} ones when {@code ferryOnly}. */
  private static void table(DataOutputStream out, Map<String, Object> table, boolean ferryOnly)
      throws IOException {
    Map<String, Object> sorted = new TreeMap<>();
    table.forEach(
        (name, value) -> {
          if (!ferryOnly || (name.startsWith(FERRY_PREFIX) && !name.equals(H_SIGNATURE))) {
            sorted.put(name, value);
          }
        });
    out.writeInt(sorted.size());
    for (Map.Entry<String, Object> entry : sorted.entrySet()) {
      string(out, entry.getKey());
      value(out, entry.getValue());
    }
  }

  private static void string(DataOutputStream out, String value) throws IOException {
    if (value == null) {
      out.writeInt(-1);
      return;
    }
    bytes(out, value.getBytes(StandardCharsets.UTF_8));
  }

  private static void bytes(DataOutputStream out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }

  private static void value(DataOutputStream out, Object value) throws IOException {
    if (value == null) {
      out.writeByte('N');
    } else if (value instanceof LongString s) {
      out.writeByte('S');
      bytes(out, s.getBytes());
    } else if (value instanceof String s) {
      out.writeByte('S');
      string(out, s);
    } else if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      out.writeByte('I');
      out.writeLong(((Number) value).longValue());
    } else if (value instanceof Boolean b) {
      out.writeByte('B');
      out.writeBoolean(b);
    } else if (value instanceof byte[] b) {
      out.writeByte('X');
      bytes(out, b);
    } else if (value instanceof Date d) {
      out.writeByte('T');
      out.writeLong(d.getTime() / 1000);
    } else if (value instanceof List<?> list) {
      out.writeByte('L');
      out.writeInt(list.size());
      for (Object item : list) {
        value(out, item);
      }
    } else if (value instanceof Float || value instanceof Double) {
      out.writeByte('F');
      out.writeDouble(((Number) value).doubleValue());
    } else if (value instanceof BigDecimal d) {
      out.writeByte('D');
      string(out, d.toString());
    } else if (value instanceof Map<?, ?> map) {
      out.writeByte('M');
      Map<String, Object> entries = new TreeMap<>();
      map.forEach((name, item) -> entries.put(String.valueOf(name), item));
      table(out, entries, false);
    } else {
      // Not a type amqp-client decodes; covered by its text so that signing never fails.
      out.writeByte('?');
      string(out, value.toString());
    }
  }
}
