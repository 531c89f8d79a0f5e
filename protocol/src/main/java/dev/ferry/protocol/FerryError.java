package dev.ferry.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The errors that Ferry's sidecars make themselves, and how each appears on the wire: the value of
 * the {@code ferry-error} header or trailer, the HTTP status, and the gRPC status code.
 *
 * <p>This is the single table that maps sidecar failures to caller-visible outcomes. A reply that
 * carries one of these is always marked, so that nobody confuses it with the service's own answer.
 */
public enum FerryError {
  /** No reply within the request's deadline. */
  TIMEOUT("timeout", 504, GrpcCode.DEADLINE_EXCEEDED),
  /** No queue to carry the request (unknown route, or the request queue does not exist). */
  NO_ROUTE("no-route", 503, GrpcCode.UNAVAILABLE),
  /** The server sidecar could not reach the service, or the service reset the connection. */
  UPSTREAM_UNAVAILABLE("upstream-unavailable", 502, GrpcCode.UNAVAILABLE),
  /** The service answered with something the server sidecar could not carry back. */
  UPSTREAM_INVALID("upstream-invalid", 502, GrpcCode.INTERNAL),
  /** The sidecar is not connected to the broker, or the broker refused the request. */
  BROKER_UNAVAILABLE("broker-unavailable", 503, GrpcCode.UNAVAILABLE),
  /** Too many requests are pending in the client sidecar; retry after a moment. */
  OVERLOADED("overloaded", 503, GrpcCode.RESOURCE_EXHAUSTED),
  /** The sidecar is shutting down and takes no new requests. */
  SHUTTING_DOWN("shutting-down", 503, GrpcCode.UNAVAILABLE),
  /** The request or response body is larger than {@code --max-body-size}. */
  BODY_TOO_LARGE("body-too-large", 413, GrpcCode.RESOURCE_EXHAUSTED),
  /** The request's header section is too large. */
  HEADERS_TOO_LARGE("headers-too-large", 431, GrpcCode.RESOURCE_EXHAUSTED),
  /** The request line is too long. */
  URI_TOO_LONG("uri-too-long", 414, GrpcCode.INVALID_ARGUMENT),
  /** The caller sent malformed HTTP, or an invalid {@code ferry-timeout}. */
  BAD_REQUEST("bad-request", 400, GrpcCode.INVALID_ARGUMENT),
  /** A sidecar received a message it could not decode (see PROTOCOL.md, "Errors"). */
  PROTOCOL_ERROR("protocol-error", 502, GrpcCode.INTERNAL),
  /** A sidecar received a message of a protocol version it does not know. */
  UNSUPPORTED_VERSION("unsupported-version", 502, GrpcCode.INTERNAL);

  private final String code;
  private final int httpStatus;
  private final int grpcCode;

  FerryError(String code, int httpStatus, int grpcCode) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
  }

  /** The value of the {@code ferry-error} header, e.g. {@code timeout}. */
  public String code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The numeric gRPC status code (see {@code io.grpc.Status.Code}). */
  public int grpcCode() {
    return grpcCode;
  }

  /** The short plain-text body of an HTTP error reply: {@code ferry: <code>: <detail>\n}. */
  public byte[] describe(String detail) {
    String text =
        detail == null || detail.isEmpty() ? "ferry: " + code : "ferry: " + code + ": " + detail;
    return (text + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Looks up an error by its wire code; {@code null} when the code is unknown. */
  public static FerryError fromCode(String code) {
    for (FerryError error : values()) {
      if (error.code.equals(code)) {
        return error;
      }
    }
    return null;
  }

  /** gRPC status codes, kept here so that the protocol does not depend on grpc-java. */
  private static final class GrpcCode {
    static final int INVALID_ARGUMENT = 3;
    static final int DEADLINE_EXCEEDED = 4;
    static final int RESOURCE_EXHAUSTED = 8;
    static final int INTERNAL = 13;
    static final int UNAVAILABLE = 14;
  }
}
