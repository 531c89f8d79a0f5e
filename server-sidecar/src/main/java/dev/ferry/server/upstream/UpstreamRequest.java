package dev.ferry.server.upstream;

import dev.ferry.protocol.Header;
import java.util.ArrayList;
import java.util.List;

/**
 * What the server sidecar sends to the service: already filtered, with Ferry's own headers added.
 */
public record UpstreamRequest(
    String method, String target, List<Header> headers, byte[] body, long timeoutMillis) {
  /** The header that tells the service the budget left, in milliseconds ({@code 1500ms}). */
  public static final String TIMEOUT_HEADER = "ferry-timeout";

  public UpstreamRequest {
    headers = List.copyOf(headers);
  }

  /** This request sent again with {@code remainingMillis} left, its {@code ferry-timeout} too. */
  public UpstreamRequest withTimeout(long remainingMillis) {
    List<Header> updated = new ArrayList<>(headers.size());
    for (Header header : headers) {
      updated.add(
          header.name().equalsIgnoreCase(TIMEOUT_HEADER)
              ? new Header(header.name(), remainingMillis + "ms")
              : header);
    }
    return new UpstreamRequest(method, target, updated, body, remainingMillis);
  }
}
