package dev.ferry.server.upstream;

import dev.ferry.protocol.Header;
import java.util.List;

/**
 * What the server sidecar sends to the service: already filtered, with Ferry's own headers added.
 */
public record UpstreamRequest(
    String method, String target, List<Header> headers, byte[] body, long timeoutMillis) {
  public UpstreamRequest {
    headers = List.copyOf(headers);
  }
}
