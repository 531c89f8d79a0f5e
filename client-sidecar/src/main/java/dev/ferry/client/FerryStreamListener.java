package dev.ferry.client;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import java.util.List;

/** Events of one {@link FerryStream}, delivered one at a time and in order. */
public interface FerryStreamListener {
  /** The service's response headers. */
  void onHeaders(List<Header> headers);

  /** One response message, as requested with {@link FerryStream#request}. */
  void onMessage(byte[] message);

  /** The stream can take more request messages ({@link FerryStream#isReady()} turned true). */
  void onReady();

  /**
   * The call is over: with the service's status, or with a sidecar-made one ({@code error} not
   * null, the status code from {@link FerryError#grpcCode()}). Called exactly once, last.
   */
  void onClose(GrpcStatus status, FerryError error);
}
