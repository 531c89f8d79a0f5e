package dev.ferry.client.ingress;

import dev.ferry.client.FerryStream;
import dev.ferry.client.FerryStreamListener;
import dev.ferry.common.RawGrpc;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Joins one caller's gRPC call to its Ferry stream, both ways, with flow control: a message is
 * asked of the caller only when the stream can take it, and of the stream only when the caller can
 * take it. Runs on the caller connection's event loop (the server uses a direct executor, and
 * stream events are delivered there), so the {@link ServerCall} is only ever touched there.
 */
final class GrpcCallBridge {
  private final ServerCall<byte[], byte[]> call;
  private final Executor eventLoop;
  private final int maxMessageSize;
  private FerryStream stream;
  private boolean headersSent;
  private boolean callerWaits;
  private boolean streamWaits;
  private boolean closed;

  GrpcCallBridge(ServerCall<byte[], byte[]> call, Executor eventLoop, int maxMessageSize) {
    this.call = call;
    this.eventLoop = eventLoop;
    this.maxMessageSize = maxMessageSize;
  }

  /** Joins the stream; nothing moves until {@link #begin()}. */
  void attach(FerryStream stream) {
    this.stream = stream;
  }

  /** Starts moving messages: asks the caller for one, and the stream for one. */
  void begin() {
    if (!closed) {
      call.request(1);
      stream.request(1);
    }
  }

  /** Closes the caller's call with a status made here, before or without a stream. */
  void closeWith(GrpcStatus status) {
    if (closed) {
      return;
    }
    closed = true;
    call.close(
        Status.fromCodeValue(status.code()).withDescription(status.message()),
        RawGrpc.metadata(status.trailers()));
  }

  /** What the caller does. */
  ServerCall.Listener<byte[]> callerListener() {
    return new ServerCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        if (message.length > maxMessageSize) {
          stream.cancel("request message over the limit");
          closeWith(
              StreamStatuses.sidecar(
                  FerryError.BODY_TOO_LARGE,
                  message.length + " bytes (at most " + maxMessageSize + ")"));
          return;
        }
        stream.sendMessage(message);
        // Whether the half-close comes in this same read decides how the call starts: look after.
        eventLoop.execute(stream::flush);
        if (stream.isReady()) {
          call.request(1);
        } else {
          callerWaits = true;
        }
      }

      @Override
      public void onHalfClose() {
        stream.halfClose();
      }

      @Override
      public void onCancel() {
        closed = true;
        stream.cancel("the caller cancelled the call");
      }

      @Override
      public void onReady() {
        if (streamWaits && call.isReady()) {
          streamWaits = false;
          stream.request(1);
        }
      }
    };
  }

  /** What the stream does. */
  FerryStreamListener streamListener() {
    return new FerryStreamListener() {
      @Override
      public void onHeaders(List<Header> headers) {
        sendHeaders(headers);
      }

      @Override
      public void onMessage(byte[] message) {
        if (closed) {
          return;
        }
        sendHeaders(List.of());
        call.sendMessage(message);
        if (call.isReady()) {
          stream.request(1);
        } else {
          streamWaits = true;
        }
      }

      @Override
      public void onReady() {
        if (callerWaits && !closed) {
          callerWaits = false;
          call.request(1);
        }
      }

      @Override
      public void onClose(GrpcStatus status, FerryError error) {
        closeWith(status);
      }
    };
  }

  private void sendHeaders(List<Header> headers) {
    if (!closed && !headersSent) {
      headersSent = true;
      call.sendHeaders(RawGrpc.metadata(headers));
    }
  }
}
