package dev.ferry.client;

import dev.ferry.protocol.ResponseEnvelope;
import java.util.concurrent.CompletableFuture;

/**
 * Makes Ferry calls. The front ends (HTTP, later gRPC) depend on this rather than on the broker
 * machinery; {@link FerryClient} is the implementation.
 */
public interface Caller {
  /**
   * Sends {@code call}. The future always completes, exactly once and never exceptionally, by the
   * call's timeout: with the service's answer or a reply whose {@link ResponseEnvelope#error()}
   * names the sidecar error.
   */
  CompletableFuture<ResponseEnvelope> call(FerryCall call);
}
