package dev.ferry.client.ingress;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import java.util.List;

/** gRPC statuses made by the client sidecar itself: always marked with a ferry-error trailer. */
final class StreamStatuses {
  static final String FERRY_ERROR = "ferry-error";

  private StreamStatuses() {}

  static GrpcStatus sidecar(FerryError error, String detail) {
    return sidecar(error, error.grpcCode(), detail);
  }

  /** With a code other than the error's usual one (an unknown route is UNIMPLEMENTED). */
  static GrpcStatus sidecar(FerryError error, int code, String detail) {
    return new GrpcStatus(
        code,
        "ferry: " + error.code() + ": " + detail,
        List.of(new Header(FERRY_ERROR, error.code())));
  }
}
