package dev.ferry.protocol;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One step of a gRPC call after its start: an AMQP message of type {@code ferry.grpc}. Which parts
 * are present says what happened; several may travel together (a unary reply is one frame with
 * headers, the message and the status). See PROTOCOL.md, "gRPC".
 *
 * <p>Server to client (on the caller's reply queue): {@code callAddress} (first frame of a call
 * that is not over yet), {@code headers}, {@code message}, {@code credit} (request messages the
 * client may still send), {@code status} (last frame). Client to server (on the call address):
 * {@code message}, {@code halfClose}, {@code credit} (response messages the client can take), and
 * {@code cancel}.
 *
 * @param callId the call's correlation id
 * @param seq this frame's number within its call and direction, from 0
 * @param callAddress the queue the client sends this call's frames to; null when absent
 * @param headers the response headers; null when absent
 * @param message one message, raw bytes; null when absent (an empty array is an empty message)
 * @param halfClose the client has sent its last message
 * @param credit how many more messages the sender of this frame can take; 0 for none
 * @param cancel the client cancels the call
 * @param status how the call ended; null while it goes on
 * @param error the sidecar error that ended the call, with {@code status}; null otherwise
 */
public record GrpcFrame(
    String callId,
    long seq,
    String callAddress,
    List<Header> headers,
    byte[] message,
    boolean halfClose,
    int credit,
    boolean cancel,
    GrpcStatus status,
    FerryError error) {

  public GrpcFrame {
    requireNonNull(callId, "callId");
    if (seq < 0) {
      throw new IllegalArgumentException("seq: " + seq + " (expected: >= 0)");
    }
    if (credit < 0) {
      throw new IllegalArgumentException("credit: " + credit + " (expected: >= 0)");
    }
    headers = headers == null ? null : List.copyOf(headers);
    if (error != null && status == null) {
      throw new IllegalArgumentException("error without status");
    }
  }

  /** A frame that carries nothing yet; use the {@code with*} methods. */
  public static GrpcFrame of(String callId, long seq) {
    return new GrpcFrame(callId, seq, null, null, null, false, 0, false, null, null);
  }

  public GrpcFrame withCallAddress(String address) {
    return new GrpcFrame(
        callId, seq, address, headers, message, halfClose, credit, cancel, status, error);
  }

  public GrpcFrame withHeaders(List<Header> value) {
    return new GrpcFrame(
        callId, seq, callAddress, value, message, halfClose, credit, cancel, status, error);
  }

  public GrpcFrame withMessage(byte[] value) {
    return new GrpcFrame(
        callId, seq, callAddress, headers, value, halfClose, credit, cancel, status, error);
  }

  public GrpcFrame withHalfClose() {
    return new GrpcFrame(
        callId, seq, callAddress, headers, message, true, credit, cancel, status, error);
  }

  public GrpcFrame withCredit(int value) {
    return new GrpcFrame(
        callId, seq, callAddress, headers, message, halfClose, value, cancel, status, error);
  }

  public GrpcFrame withCancel() {
    return new GrpcFrame(
        callId, seq, callAddress, headers, message, halfClose, credit, true, status, error);
  }

  public GrpcFrame withStatus(GrpcStatus value, FerryError sidecarError) {
    return new GrpcFrame(
        callId, seq, callAddress, headers, message, halfClose, credit, cancel, value, sidecarError);
  }

  public boolean isLast() {
    return status != null;
  }
}
