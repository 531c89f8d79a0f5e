package dev.ferry.server.upstream;

import dev.ferry.protocol.Header;
import java.util.List;

/** The service's answer, complete. */
public record UpstreamResponse(int status, List<Header> headers, byte[] body) {
  public UpstreamResponse {
    headers = List.copyOf(headers);
  }
}
