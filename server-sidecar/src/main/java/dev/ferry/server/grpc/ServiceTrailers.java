package dev.ferry.server.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;

/**
 * Notes whether the service sent trailers on a call. grpc-java reports them (to stream tracers)
 * before the status they carry; a status without them was made in this sidecar by grpc-java (the
 * deadline, a connection failure, a response over the size limit). One per call; the flag is set on
 * the channel's event loop and read there.
 */
final class ServiceTrailers extends ClientStreamTracer.Factory {
  private final ClientStreamTracer tracer =
      new ClientStreamTracer() {
        @Override
        public void inboundTrailers(Metadata trailers) {
          seen = true;
        }
      };
  private volatile boolean seen;

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    return tracer;
  }

  /** Whether the service sent trailers: the status is its own. */
  boolean seen() {
    return seen;
  }
}
