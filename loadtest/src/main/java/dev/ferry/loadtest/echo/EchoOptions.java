package dev.ferry.loadtest.echo;

import dev.ferry.common.Sizes;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the query string asks of one echo request. Parameters not listed here are ignored (they are
 * only part of the echoed URI); for a repeated parameter other than {@code header} the first value
 * counts. A value that cannot be honoured is answered with 400 naming the parameter.
 *
 * @param status {@code status=NNN}: the response status, 200..599 (default 200; 1xx would be an
 *     interim response, so it is refused).
 * @param delayMillis {@code delay=MS}: answer after this many milliseconds, 0..3600000 (default 0).
 * @param size {@code size=N} (also {@code 64KiB}, {@code 8MiB}): answer with N pattern bytes
 *     ({@code a..z} repeated) instead of the request body, 0..1GiB; {@link #ECHO} when absent.
 * @param headers {@code header=name:value}, repeatable: response headers to add, in order. A name
 *     given here replaces the echo's own header of that name (e.g. {@code content-type}); framing
 *     headers ({@code content-length}, {@code transfer-encoding}) are replaced too, which makes a
 *     malformed response on purpose.
 * @param close {@code close=1}: read the request, then reset the connection without answering.
 * @param chunked {@code chunked=1}: answer with {@code Transfer-Encoding: chunked} in several
 *     chunks instead of a {@code content-length}.
 */
record EchoOptions(
    int status,
    long delayMillis,
    long size,
    List<ExtraHeader> headers,
    boolean close,
    boolean chunked) {
  /** {@link #size} when the body is the request's own. */
  static final long ECHO = -1;

  static final long MAX_DELAY_MILLIS = 3_600_000;
  static final long MAX_SIZE = 1L << 30;

  EchoOptions {
    headers = List.copyOf(headers);
  }

  /** One {@code header=name:value} parameter. */
  record ExtraHeader(String name, String value) {}

  /** A query parameter that cannot be honoured; cheap, since bad requests are not exceptional. */
  static final class InvalidOption extends RuntimeException {
    InvalidOption(String message) {
      super(message, null, false, false);
    }
  }

  /** Reads the options from decoded query parameters, as {@code QueryStringDecoder} gives them. */
  static EchoOptions parse(Map<String, List<String>> parameters) {
    return new EchoOptions(
        status(first(parameters, "status")),
        delay(first(parameters, "delay")),
        size(first(parameters, "size")),
        headers(parameters.getOrDefault("header", List.of())),
        flag(parameters, "close"),
        flag(parameters, "chunked"));
  }

  private static String first(Map<String, List<String>> parameters, String name) {
    List<String> values = parameters.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static int status(String text) {
    if (text == null) {
      return 200;
    }
    return (int) number("status", text, 200, 599, "200..599");
  }

  private static long delay(String text) {
    return text == null
        ? 0
        : number("delay", text, 0, MAX_DELAY_MILLIS, "milliseconds, 0..3600000");
  }

  private static long size(String text) {
    if (text == null) {
      return ECHO;
    }
    long size;
    try {
      size = Sizes.parse(text);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidOption(
          "size: '" + text + "' (expected: bytes, e.g. 1024 or 8MiB, up to 1GiB)");
    }
    if (size > MAX_SIZE) {
      throw new InvalidOption("size: " + text + " (expected: at most 1GiB)");
    }
    return size;
  }

  private static long number(String name, String text, long min, long max, String expected) {
    try {
      long value = Long.parseLong(text.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below, with the expectation
    }
    throw new InvalidOption(name + ": '" + text + "' (expected: " + expected + ")");
  }

  private static List<ExtraHeader> headers(List<String> values) {
    List<ExtraHeader> headers = new ArrayList<>(values.size());
    for (String value : values) {
      int colon = value.indexOf(':');
      String name = colon < 0 ? "" : value.substring(0, colon).trim();
      String headerValue = colon < 0 ? "" : value.substring(colon + 1).trim();
      if (name.isEmpty()
          || HttpHeaderValidationUtil.validateToken(name) >= 0
          || HttpHeaderValidationUtil.validateValidHeaderValue(headerValue) >= 0) {
        throw new InvalidOption("header: '" + value + "' (expected: name:value, e.g. x-a:1)");
      }
      headers.add(new ExtraHeader(name, headerValue));
    }
    return headers;
  }

  private static boolean flag(Map<String, List<String>> parameters, String name) {
    String text = first(parameters, name);
    if (text == null || text.equals("0") || text.equalsIgnoreCase("false")) {
      return false;
    }
    if (text.isEmpty() || text.equals("1") || text.equalsIgnoreCase("true")) {
      return true;
    }
    throw new InvalidOption(name + ": '" + text + "' (expected: 1 or 0)");
  }
}
