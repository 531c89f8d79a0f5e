package dev.ferry.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses byte sizes: {@code 512}, {@code 64KiB}, {@code 8MiB}, {@code 1GiB} (also {@code KB}/{@code
 * MB}/{@code GB} as powers of 1000).
 */
public final class Sizes {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})\\s*([kmg]i?b?|b)?");

  private Sizes() {}

  public static long parse(String text) {
    Matcher matcher = FORMAT.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a size (expected: a whole number of bytes, or with KiB, MiB, GiB, e.g. 8MiB)");
    }
    long amount = Long.parseLong(matcher.group(1));
    String unit = matcher.group(2) == null ? "b" : matcher.group(2);
    boolean binary = unit.contains("i");
    long base = binary ? 1024 : 1000;
    try {
      return switch (unit.charAt(0)) {
        case 'k' -> Math.multiplyExact(amount, base);
        case 'm' -> Math.multiplyExact(amount, base * base);
        case 'g' -> Math.multiplyExact(amount, base * base * base);
        default -> amount;
      };
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is too large (expected: at most " + Long.MAX_VALUE + " bytes)");
    }
  }
}
