package dev.ferry.server.grpc;

import dev.ferry.common.RawGrpc;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.server.amqp.AmqpWriter;
import dev.ferry.server.amqp.Delivery;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one gRPC call against the real service for a client far away: the start (with the first
 * message, maybe the half-close) came off the service queue; further client frames come through the
 * {@link CallQueue}; every response header, message and the final status go back as frames on the
 * caller's reply queue, in order. The start is acknowledged once the first frame is confirmed by
 * the broker (the call is this sidecar's from then on). A response message is held for the rest of
 * the read it came in, so that a unary answer travels as one frame with its status.
 *
 * <p>State is guarded by {@code this}; upstream callbacks run on the upstream channel's event loop.
 */
public final class ServerGrpcCall {
  private static final Logger logger = LoggerFactory.getLogger(ServerGrpcCall.class);

  /** Request messages the client may send before it is granted more. */
  static final int WINDOW = 16;

  /** What every call of this sidecar shares. */
  public record Context(
      AmqpWriter writer,
      GrpcUpstream upstream,
      String callAddress,
      ActiveCalls calls,
      Runnable onFinished,
      Consumer<FerryError> replied,
      Runnable skipped) {}

  private final Context context;
  private final RequestEnvelope request;
  private final GrpcCodec.Start start;
  private final Delivery delivery;

  private ClientCall<byte[], byte[]> upstream;
  private long seq;
  private long expectClientSeq;
  private boolean acked;
  private boolean finished;
  private boolean done;
  private boolean clientHalfClosed;
  private boolean upstreamHalfClosed;
  private List<Header> pendingHeaders;
  private byte[] pendingMessage;
  private boolean flushScheduled;
  private final ArrayDeque<byte[]> toUpstream = new ArrayDeque<>();
  private int consumedSinceGrant;

  public ServerGrpcCall(Context context, GrpcCodec.Start start, Delivery delivery) {
    this.context = context;
    this.request = start.request();
    this.start = start;
    this.delivery = delivery;
  }

  /** Starts the upstream call. */
  public synchronized void begin(long remainingMillis) {
    String callId = request.correlationId();
    if (context.calls().wasCancelled(callId)) {
      logger.debug("skipped call cancelled before it was taken callId={}", callId);
      context.skipped().run();
      finished = true;
      done = true;
      delivery.ack();
      context.onFinished().run();
      return;
    }
    context.calls().add(callId, this);
    upstream = context.upstream().newCall(request.method(), remainingMillis);
    upstream.start(new UpstreamListener(), RawGrpc.metadata(request.headers()));
    upstream.request(Math.max(1, start.credit()));
    if (start.message() != null) {
      upstream.sendMessage(start.message());
    }
    if (start.halfClose()) {
      clientHalfClosed = true;
      halfCloseUpstream();
    } else {
      sendFrame(GrpcFrame.of(callId, 0).withCredit(WINDOW)); // The client may go on at once.
    }
  }

  /** A frame from the client, on the call queue's consumer thread. */
  synchronized void onClientFrame(GrpcFrame frame) {
    if (finished) {
      return;
    }
    if (frame.cancel()) {
      upstream.cancel("cancelled by the caller", null);
      return;
    }
    if (frame.seq() != expectClientSeq++) {
      upstream.cancel("client frame " + frame.seq() + " out of order", null);
      return;
    }
    if (frame.credit() > 0) {
      upstream.request(frame.credit());
    }
    if (frame.message() != null) {
      toUpstream.add(frame.message());
    }
    if (frame.halfClose()) {
      clientHalfClosed = true;
    }
    pushUpstream();
  }

  /** Sends the client's messages while the service can take them; half-closes after the last. */
  private void pushUpstream() {
    while (!toUpstream.isEmpty() && upstream.isReady()) {
      upstream.sendMessage(toUpstream.poll());
      consumedSinceGrant++;
    }
    if (toUpstream.isEmpty() && clientHalfClosed && !finished) {
      halfCloseUpstream();
    }
    if (consumedSinceGrant >= WINDOW / 2 && !clientHalfClosed) {
      sendFrame(GrpcFrame.of(request.correlationId(), 0).withCredit(consumedSinceGrant));
      consumedSinceGrant = 0;
    }
  }

  private void halfCloseUpstream() {
    if (!upstreamHalfClosed) {
      upstreamHalfClosed = true;
      upstream.halfClose();
    }
  }

  /** Publishes a frame to the caller; the first carries the call address. */
  private void sendFrame(GrpcFrame frame) {
    boolean first = seq == 0;
    GrpcFrame numbered =
        new GrpcFrame(
            frame.callId(),
            seq++,
            first && !frame.isLast() ? context.callAddress() : null,
            frame.headers(),
            frame.message(),
            false,
            frame.credit(),
            false,
            frame.status(),
            frame.error());
    boolean last = frame.isLast();
    context
        .writer()
        .publish(
            request.replyTo(),
            GrpcCodec.encodeFrame(numbered, System.currentTimeMillis()),
            AmqpWriter.Confirmation.of(
                () -> confirmed(first, last), reason -> failed(first, last, reason)));
  }

  private synchronized void confirmed(boolean first, boolean last) {
    if (first && !acked) {
      acked = true;
      delivery.ack();
    }
    if (last) {
      finish();
    }
  }

  private synchronized void failed(boolean first, boolean last, String reason) {
    logger.warn("frame not confirmed callId={} reason={}", request.correlationId(), reason);
    if (first && !acked) {
      acked = true;
      delivery.requeue(); // Nothing reached the caller: another sidecar may run the call.
      if (upstream != null) {
        upstream.cancel("reply not confirmed", null);
      }
    }
    if (last) {
      finish();
    }
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    context.calls().remove(request.correlationId());
    context.onFinished().run();
  }

  /** Sends what is held: the service's headers and one message. */
  private synchronized void flush() {
    flushScheduled = false;
    if (finished || (pendingHeaders == null && pendingMessage == null)) {
      return;
    }
    GrpcFrame frame = GrpcFrame.of(request.correlationId(), 0);
    if (pendingHeaders != null) {
      frame = frame.withHeaders(pendingHeaders);
      pendingHeaders = null;
    }
    if (pendingMessage != null) {
      frame = frame.withMessage(pendingMessage);
      pendingMessage = null;
    }
    sendFrame(frame);
  }

  private void scheduleFlush() {
    if (!flushScheduled) {
      flushScheduled = true;
      Executor loop = ThreadExecutorMap.currentExecutor();
      if (loop != null) {
        loop.execute(this::flush);
      } else {
        flushScheduled = false;
        flush();
      }
    }
  }

  /** The service's side of the call, on the upstream channel's event loop. */
  private final class UpstreamListener extends ClientCall.Listener<byte[]> {
    @Override
    public void onHeaders(Metadata headers) {
      synchronized (ServerGrpcCall.this) {
        pendingHeaders = RawGrpc.headers(headers);
        scheduleFlush();
      }
    }

    @Override
    public void onMessage(byte[] message) {
      synchronized (ServerGrpcCall.this) {
        if (pendingMessage != null) {
          flush();
        }
        pendingMessage = message;
        scheduleFlush();
      }
    }

    @Override
    public void onReady() {
      synchronized (ServerGrpcCall.this) {
        if (!finished) {
          pushUpstream();
        }
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      synchronized (ServerGrpcCall.this) {
        GrpcFrame frame = GrpcFrame.of(request.correlationId(), 0);
        if (pendingHeaders != null) {
          frame = frame.withHeaders(pendingHeaders);
          pendingHeaders = null;
        }
        if (pendingMessage != null) {
          frame = frame.withMessage(pendingMessage);
          pendingMessage = null;
        }
        FerryError error = sidecarError(status);
        String description = status.getDescription() == null ? "" : status.getDescription();
        List<Header> trailerList = RawGrpc.headers(trailers);
        if (error != null) {
          trailerList = new java.util.ArrayList<>(trailerList);
          trailerList.add(new Header("ferry-error", error.code()));
          description = "ferry: " + error.code() + ": " + description;
        }
        context.replied().accept(error);
        sendFrame(
            frame.withStatus(
                new GrpcStatus(status.getCode().value(), description, trailerList), error));
        finished = true;
      }
    }
  }

  /**
   * The sidecar error behind a status that did not come from the service: the upstream could not be
   * reached, or the deadline passed here. A status the service sent itself is never marked.
   */
  private static FerryError sidecarError(Status status) {
    if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null) {
      return FerryError.UPSTREAM_UNAVAILABLE;
    }
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED
        && status.getCause() == null
        && status.getDescription() != null
        && status.getDescription().startsWith("deadline exceeded")) {
      return FerryError.TIMEOUT;
    }
    return null;
  }
}
