package dev.ferry.server.upstream;

import dev.ferry.protocol.FerryError;

/**
 * Why a call to the service produced no answer, as the sidecar error the caller will see, and
 * whether any of the request may have reached the service ({@link #sent()}): a connection that
 * never opened sent nothing, so the request may be tried again whatever its method.
 */
public final class UpstreamException extends Exception {
  private final FerryError error;
  private final boolean sent;

  /** A failure once the request may have reached the service. */
  UpstreamException(FerryError error, String message) {
    this(error, message, true);
  }

  private UpstreamException(FerryError error, String message, boolean sent) {
    super(message, null, false, false);
    this.error = error;
    this.sent = sent;
  }

  /** A failure before any byte of the request was written to the service. */
  static UpstreamException notSent(FerryError error, String message) {
    return new UpstreamException(error, message, false);
  }

  public FerryError error() {
    return error;
  }

  /** Whether any of the request may have reached the service. */
  public boolean sent() {
    return sent;
  }
}
