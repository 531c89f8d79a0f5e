package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * How a gRPC call ended, as the service (or a sidecar) said it.
 *
 * @param code the numeric gRPC status code (0 OK .. 16 UNAUTHENTICATED)
 * @param message the status message, any Unicode text; empty when none
 * @param trailers the trailing metadata, in order
 */
public record GrpcStatus(int code, String message, List<Header> trailers) {
  public GrpcStatus {
    if (code < 0 || code > 16) {
      throw new IllegalArgumentException("code: " + code + " (expected: 0..16)");
    }
    requireNonNull(message, "message");
    trailers = List.copyOf(trailers);
  }
}
