package dev.ferry.server.upstream;

import dev.ferry.protocol.FerryError;

/** Why a call to the service produced no answer, as the sidecar error the caller will see. */
public final class UpstreamException extends Exception {
  private final FerryError error;

  UpstreamException(FerryError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public FerryError error() {
    return error;
  }
}
