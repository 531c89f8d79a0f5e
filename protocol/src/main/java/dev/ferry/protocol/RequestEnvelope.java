package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A request as it travels from the client sidecar to the server sidecar.
 *
 * @param kind HTTP or gRPC
 * @param method the HTTP method ({@code GET}), or the full gRPC method name ({@code pkg.Svc/Call})
 * @param target the HTTP request target (path and query, as received); empty for gRPC
 * @param headers end-to-end headers in received order, repeated names kept
 * @param body the body, raw bytes, never re-encoded
 * @param messageId identifies the request across re-publishes (idempotency key)
 * @param correlationId matches the reply to the waiting caller; 128 random bits or more
 * @param replyTo the queue the reply must be published to
 * @param sentAtMillis when the client sidecar published the request (epoch milliseconds)
 * @param deadlineMillis when the caller gives up (epoch milliseconds)
 */
public record RequestEnvelope(
    CallKind kind,
    String method,
    String target,
    List<Header> headers,
    byte[] body,
    String messageId,
    String correlationId,
    String replyTo,
    long sentAtMillis,
    long deadlineMillis) {

  public RequestEnvelope {
    requireNonNull(kind, "kind");
    requireNonNull(method, "method");
    requireNonNull(target, "target");
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
    requireNonNull(messageId, "messageId");
    requireNonNull(correlationId, "correlationId");
    requireNonNull(replyTo, "replyTo");
  }

  /** Milliseconds left until the deadline at {@code nowMillis}; negative once it has passed. */
  public long remainingMillis(long nowMillis) {
    return deadlineMillis - nowMillis;
  }
}
