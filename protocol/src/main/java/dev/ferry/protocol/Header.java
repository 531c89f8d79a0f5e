package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

/**
 * One header field (HTTP) or metadata entry (gRPC), carried byte for byte.
 *
 * <p>Both name and value are strings whose characters are all in U+0000..U+00FF: each character
 * stands for one octet (ISO-8859-1), so header values that are not UTF-8 survive unchanged. Names
 * keep the case in which they were received.
 */
public record Header(String name, String value) {
  public Header {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
  }
}
