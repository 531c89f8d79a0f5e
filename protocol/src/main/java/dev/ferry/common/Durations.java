package dev.ferry.common;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations written as a whole number and a unit: {@code 1500ms}, {@code 5s}, {@code 2m},
 * {@code 1h}.
 */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})(ms|s|m|h)");

  private Durations() {}

  /** Parses {@code text}; throws {@link IllegalArgumentException} naming the expected form. */
  public static Duration parse(String text) {
    Matcher matcher = FORMAT.matcher(text == null ? "" : text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a duration (expected: a whole number and ms, s, m or h, e.g. 1500ms, 5s, 2m)");
    }
    long amount = Long.parseLong(matcher.group(1));
    return switch (matcher.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofHours(amount);
    };
  }

  /** Formats a duration the way {@link #parse} reads it, in milliseconds: {@code 1500ms}. */
  public static String format(Duration duration) {
    return duration.toMillis() + "ms";
  }
}
