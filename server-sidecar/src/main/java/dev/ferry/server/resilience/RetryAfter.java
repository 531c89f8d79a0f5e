package dev.ferry.server.resilience;

import dev.ferry.protocol.Header;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Reads a service's {@code Retry-After}: delay-seconds ({@code 120}) or an HTTP-date ({@code Sun,
 * 06 Nov 1994 08:49:37 GMT}, RFC 9110 section 10.2.3). Pure functions.
 */
final class RetryAfter {
  static final String HEADER = "retry-after";

  /** Seconds beyond this are as good as forever; keeps the arithmetic from overflowing. */
  private static final long MAX_SECONDS = 1L << 31;

  private RetryAfter() {}

  /**
   * How long the service asks to wait, in milliseconds from {@code nowMillis}; 0 for a date in the
   * past, -1 when there is no {@code Retry-After} or it cannot be read (the first one counts).
   */
  static long millis(List<Header> headers, long nowMillis) {
    for (Header header : headers) {
      if (header.name().equalsIgnoreCase(HEADER)) {
        return parse(header.value(), nowMillis);
      }
    }
    return -1;
  }

  /** One {@code Retry-After} value, as {@link #millis}. */
  static long parse(String value, long nowMillis) {
    String text = value.trim();
    if (text.isEmpty()) {
      return -1;
    }
    if (text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long seconds = text.length() > 10 ? MAX_SECONDS : Math.min(MAX_SECONDS, Long.parseLong(text));
      return seconds * 1000;
    }
    try {
      long at =
          ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME)
              .toInstant()
              .toEpochMilli();
      return Math.max(0, at - nowMillis);
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
