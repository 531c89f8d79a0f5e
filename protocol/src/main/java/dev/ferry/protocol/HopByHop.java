package dev.ferry.protocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Removes hop-by-hop headers (RFC 9110, section 7.6.1), which describe one connection and must not
 * travel across the queue: {@code Connection}, {@code Keep-Alive}, {@code Transfer-Encoding},
 * {@code TE}, {@code Trailer}, {@code Upgrade}, {@code Proxy-*}, and every header named in {@code
 * Connection}.
 */
public final class HopByHop {
  private static final Set<String> ALWAYS =
      Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade");

  private HopByHop() {}

  /** Returns the end-to-end headers of {@code headers}, in order. */
  public static List<Header> strip(List<Header> headers) {
    Set<String> named = connectionTokens(headers);
    List<Header> kept = new ArrayList<>(headers.size());
    for (Header header : headers) {
      String name = header.name().toLowerCase(Locale.ROOT);
      if (!ALWAYS.contains(name) && !name.startsWith("proxy-") && !named.contains(name)) {
        kept.add(header);
      }
    }
    return kept;
  }

  private static Set<String> connectionTokens(List<Header> headers) {
    Set<String> tokens = null;
    for (Header header : headers) {
      if (header.name().equalsIgnoreCase("connection")) {
        for (String token : header.value().split(",")) {
          String trimmed = token.trim().toLowerCase(Locale.ROOT);
          if (!trimmed.isEmpty()) {
            if (tokens == null) {
              tokens = new HashSet<>();
            }
            tokens.add(trimmed);
          }
        }
      }
    }
    return tokens == null ? Set.of() : tokens;
  }
}
