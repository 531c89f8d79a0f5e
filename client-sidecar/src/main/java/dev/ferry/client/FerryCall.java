package dev.ferry.client;

import static java.util.Objects.requireNonNull;

import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.Header;
import java.time.Duration;
import java.util.List;

/**
 * One call to make through Ferry.
 *
 * @param service the Ferry service name; the request goes to queue {@code ferry.req.<service>}
 * @param kind HTTP or gRPC
 * @param method HTTP method, or full gRPC method name
 * @param target HTTP request target (path and query); empty for gRPC
 * @param headers end-to-end headers in order (hop-by-hop headers are removed before sending)
 * @param body the body, carried as is
 * @param timeout how long the caller waits for the answer; sets the deadline
 */
public record FerryCall(
    String service,
    CallKind kind,
    String method,
    String target,
    List<Header> headers,
    byte[] body,
    Duration timeout) {

  /** The longest timeout a call may have: a week (the broker's own limit is ten years). */
  public static final Duration MAX_TIMEOUT = Duration.ofDays(7);

  public FerryCall {
    requireNonNull(service, "service");
    requireNonNull(kind, "kind");
    requireNonNull(method, "method");
    requireNonNull(target, "target");
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "timeout: " + timeout + " (expected: > 0 and <= " + MAX_TIMEOUT + ")");
    }
  }

  /** An HTTP call. */
  public static FerryCall http(
      String service,
      String method,
      String target,
      List<Header> headers,
      byte[] body,
      Duration timeout) {
    return new FerryCall(service, CallKind.HTTP, method, target, headers, body, timeout);
  }
}
