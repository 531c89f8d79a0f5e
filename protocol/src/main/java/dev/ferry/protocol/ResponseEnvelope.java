package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A reply as it travels from the server sidecar back to the client sidecar: either the service's
 * own answer ({@code error == null}) or an error made by a sidecar.
 *
 * @param correlationId copied from the request
 * @param status the HTTP status code
 * @param headers end-to-end response headers in received order
 * @param body the response body, raw bytes
 * @param error the sidecar error, or {@code null} when this is the service's own answer
 * @param queueMillis how long the request waited in the queue before the server sidecar took it; -1
 *     when unknown
 */
public record ResponseEnvelope(
    String correlationId,
    int status,
    List<Header> headers,
    byte[] body,
    FerryError error,
    long queueMillis) {

  public ResponseEnvelope {
    requireNonNull(correlationId, "correlationId");
    headers = List.copyOf(headers);
    requireNonNull(body, "body");
  }

  /** A reply that carries a sidecar error with a short plain-text explanation. */
  public static ResponseEnvelope ofError(
      String correlationId, FerryError error, String detail, long queueMillis) {
    return new ResponseEnvelope(
        correlationId,
        error.httpStatus(),
        List.of(new Header("content-type", "text/plain; charset=utf-8")),
        error.describe(detail),
        error,
        queueMillis);
  }

  public boolean isSidecarError() {
    return error != null;
  }
}
