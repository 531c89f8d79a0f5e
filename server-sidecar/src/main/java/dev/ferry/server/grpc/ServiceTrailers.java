package dev.ferry.server.grpc;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;

/**
 * Notes whether the service sent trailers on a call, and whether the call's headers ever went out
 * to it. grpc-java reports trailers (to stream tracers) before the status they carry; a status
 * without them was made in this sidecar by grpc-java (the deadline, a connection failure, a
 * response over the size limit). Headers that never went out mean nothing of the call reached the
 * service. One per attempt of a call; the flags are set on the channel's event loop.
 */
final class ServiceTrailers extends ClientStreamTracer.Factory {
  private final ClientStreamTracer tracer =
      new ClientStreamTracer() {
        @Override
        public void outboundHeaders() {
          sent = true;
        }

        @Override
        public void inboundTrailers(Metadata trailers) {
          seen = true;
        }
      };
  private volatile boolean seen;
  private volatile boolean sent;

  @Override
  public ClientStreamTracer newClientStreamTracer(
      ClientStreamTracer.StreamInfo info, Metadata headers) {
    return tracer;
  }

  /** Whether the service sent trailers: the status is its own. */
  boolean seen() {
    return seen;
  }

  /**
   * Whether the call's headers were written to a connection to the service (grpc-java reports it
   * once the write succeeded): false means nothing of the call reached it.
   */
  boolean sent() {
    return sent;
  }
}
