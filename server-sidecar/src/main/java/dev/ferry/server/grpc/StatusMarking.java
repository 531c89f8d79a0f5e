package dev.ferry.server.grpc;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import io.grpc.Status;
import java.util.List;

/**
 * Decides whether the status an upstream call ended with is the service's own answer, passed on
 * exactly, or one that grpc-java made in this sidecar (deadline, connection, size limit), which the
 * caller gets as a sidecar error: marked with {@code ferry-error}, with the error's gRPC code and a
 * short description of this sidecar's own (grpc-java's name upstream addresses). Pure functions.
 */
final class StatusMarking {
  /** The trailer that marks a status a sidecar made. */
  static final String FERRY_ERROR = "ferry-error";

  private StatusMarking() {}

  /**
   * The sidecar error behind a status, or null for the service's own.
   *
   * @param code the status code the upstream call ended with
   * @param fromService whether the service sent trailers (grpc-java reports them before the status
   *     they carry); a status it sent is never marked, whatever its code
   * @param deadlinePassed whether the call's deadline had passed (within a small tolerance) when it
   *     ended: then whatever grpc-java made here (its own DEADLINE_EXCEEDED, or the service
   *     resetting the stream at its own deadline) is a timeout
   */
  static FerryError sidecarError(Status.Code code, boolean fromService, boolean deadlinePassed) {
    if (fromService || code == Status.Code.OK) {
      return null;
    }
    if (deadlinePassed || code == Status.Code.DEADLINE_EXCEEDED) {
      return FerryError.TIMEOUT;
    }
    return switch (code) {
      // Not reached, reset, or gone away; or this sidecar's channel shut down under the call.
      case UNAVAILABLE, CANCELLED -> FerryError.UPSTREAM_UNAVAILABLE;
      // RESOURCE_EXHAUSTED: a response message over the limit; the rest: answers that are not
      // gRPC (an HTTP error status, a missing content type, a stream without trailers).
      default -> FerryError.UPSTREAM_INVALID;
    };
  }

  /**
   * The one-line detail of a sidecar error that grpc-java's status stood for, without its
   * description.
   *
   * @param budgetMillis the time the service had
   * @param maxMessageSize the largest response message taken ({@code --max-body-size})
   * @param stopping whether this sidecar's upstream channel was shutting down
   */
  static String detail(
      FerryError error, Status.Code code, long budgetMillis, int maxMessageSize, boolean stopping) {
    if (error == FerryError.TIMEOUT) {
      return "the service did not answer within " + budgetMillis + " ms";
    }
    if (error == FerryError.UPSTREAM_UNAVAILABLE) {
      return stopping
          ? "the server sidecar is stopping"
          : "the service could not be reached or reset the call (" + code + ")";
    }
    if (code == Status.Code.RESOURCE_EXHAUSTED) {
      return "a response message is larger than --max-body-size (" + maxMessageSize + " bytes)";
    }
    return "the service's answer is not valid gRPC (" + code + ")";
  }

  /** A status this sidecar made: the error's code, {@code ferry: <code>: <detail>}, the mark. */
  static GrpcStatus marked(FerryError error, String detail) {
    return new GrpcStatus(
        error.grpcCode(),
        "ferry: " + error.code() + ": " + detail,
        List.of(new Header(FERRY_ERROR, error.code())));
  }
}
