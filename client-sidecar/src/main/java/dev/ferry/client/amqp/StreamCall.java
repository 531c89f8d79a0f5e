package dev.ferry.client.amqp;

import dev.ferry.client.FerryStream;
import dev.ferry.client.FerryStreamListener;
import dev.ferry.common.SerialExecutor;
import dev.ferry.protocol.CallKind;
import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcCodec;
import dev.ferry.protocol.GrpcFrame;
import dev.ferry.protocol.GrpcStatus;
import dev.ferry.protocol.Header;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.RequestEnvelope;
import dev.ferry.protocol.Topology;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one gRPC call over Ferry. The call starts with a request on the service's
 * queue carrying the first message (and the half-close, for unary and server-streaming calls); the
 * server sidecar that takes it answers with frames on this client's reply queue, the first of which
 * names a call address for the rest of the client's frames. Flow control is by credit both ways.
 * While the call goes on, the client pings its call address: a ping the broker returns means the
 * server sidecar is gone, and the call fails with UNAVAILABLE.
 *
 * <p>State is guarded by {@code this}. Listener events are queued, in order, on a serial executor
 * over the caller's executor; with a direct executor they run inline (under this lock), so such a
 * listener must not block.
 */
public final class StreamCall implements FerryStream {
  private static final Logger logger = LoggerFactory.getLogger(StreamCall.class);

  /** Response messages the client can take before it grants more. */
  static final int WINDOW = 16;

  static final long PING_MILLIS = 1_000;
  static final String FERRY_ERROR = "ferry-error";
  private static final int CANCELLED = 1;

  private final StreamContext context;
  private final String callId = Ids.random128();
  private final long startNanos = System.nanoTime();
  private final String service;
  private final String method;
  private final List<Header> metadata;
  private final long deadlineMillis;
  private final boolean singleRequest;
  private final FerryStreamListener listener;
  private final SerialExecutor events;
  private final Supplier<Refusal> admission;

  private boolean opened;
  private boolean started;
  private byte[] firstMessage;
  private boolean halfClosed;
  private String address;
  private final ArrayDeque<GrpcFrame> outbox = new ArrayDeque<>();
  private long sendSeq;
  private int sendCredit;
  private long expectSeq;
  private final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
  private int demand;
  private int deliveredSinceGrant;
  private GrpcStatus finalStatus;
  private FerryError finalError;
  private boolean closed;
  private boolean wasReady;
  private ScheduledFuture<?> deadline;
  private ScheduledFuture<?> ping;

  /** What every call of one client shares: publishing, the reply queue, timers, the registry. */
  public record StreamContext(
      RequestPublisher publisher,
      String replyQueue,
      StreamRegistry registry,
      ScheduledExecutorService timer,
      ExecutorService callbacks,
      Outcomes outcomes) {}

  /** Why a call may not go on: the error it fails with, and a detail for the caller. */
  public record Refusal(FerryError error, String detail) {}

  /** Hears how each call ended: {@code ok}, {@code cancelled} or a ferry-error code. */
  public interface Outcomes {
    void ended(String service, String outcome, long durationNanos);
  }

  public StreamCall(
      StreamContext context,
      String service,
      String method,
      List<Header> metadata,
      long timeoutMillis,
      boolean singleRequest,
      Executor events,
      FerryStreamListener listener,
      Supplier<Refusal> admission) {
    this.context = context;
    this.service = service;
    this.method = method;
    this.metadata = List.copyOf(metadata);
    this.deadlineMillis = System.currentTimeMillis() + timeoutMillis;
    this.singleRequest = singleRequest;
    this.listener = listener;
    this.events = new SerialExecutor(events == null ? context.callbacks() : events);
    this.admission = admission;
  }

  /**
   * Registers the call and arms its deadline, or fails it at once when {@code admission} refuses
   * it; nothing is published until the first message. The call is ready for that message at once
   * ({@link FerryStreamListener#onReady}).
   */
  @Override
  public void start() {
    synchronized (this) {
      if (opened) {
        throw new IllegalStateException("start() was already called");
      }
      opened = true;
      if (closed) {
        // Cancelled before it started: nothing was published; the listener still hears the end.
        GrpcStatus status = finalStatus;
        FerryError error = finalError;
        events.execute(() -> listener.onClose(status, error));
        return;
      }
    }
    context.registry().add(callId, this);
    long timeout = Math.max(1, deadlineMillis - System.currentTimeMillis());
    synchronized (this) {
      deadline =
          context
              .timer()
              .schedule(
                  () -> fail(FerryError.TIMEOUT, "no answer within " + timeout + " ms", true),
                  timeout,
                  TimeUnit.MILLISECONDS);
      signalReadyLocked();
    }
    Refusal refusal = admission.get();
    if (refusal != null) {
      fail(refusal.error(), refusal.detail(), false);
    }
  }

  public String callId() {
    return callId;
  }

  @Override
  public synchronized void sendMessage(byte[] message) {
    checkOpened();
    if (closed) {
      return;
    }
    if (!started && firstMessage == null) {
      firstMessage = message; // flush() or halfClose() decides whether the half-close goes with it.
      return;
    }
    if (!started) {
      startLocked(false);
    }
    // Held here beyond the server's credit: a sender that ignores isReady() buffers in its own
    // process, never in the server sidecar.
    outbox.add(GrpcFrame.of(callId, 0).withMessage(message));
    flushOutboxLocked();
    signalReadyLocked();
  }

  @Override
  public synchronized void halfClose() {
    checkOpened();
    if (closed || halfClosed) {
      return;
    }
    halfClosed = true;
    if (!started) {
      startLocked(true);
    } else {
      outbox.add(GrpcFrame.of(callId, 0).withHalfClose());
      flushOutboxLocked();
    }
    signalReadyLocked();
  }

  @Override
  public synchronized void flush() {
    checkOpened();
    if (!closed && !started && !singleRequest && firstMessage != null) {
      startLocked(false);
      signalReadyLocked();
    }
  }

  @Override
  public synchronized void request(int count) {
    checkOpened();
    if (closed || count <= 0) {
      return;
    }
    demand += count;
    deliverLocked();
  }

  @Override
  public synchronized boolean isReady() {
    if (!opened || closed || halfClosed) {
      return false;
    }
    if (!started) {
      return firstMessage == null;
    }
    return address != null && sendCredit > 0 && outbox.isEmpty();
  }

  @Override
  public void cancel(String reason) {
    end(new GrpcStatus(CANCELLED, reason == null ? "" : reason, List.of()), null, true);
  }

  /** As grpc-java's ClientCall: a stream is used only once started. */
  private void checkOpened() {
    if (!opened) {
      throw new IllegalStateException("start() the stream first");
    }
  }

  /** Publishes the call's start: the request with the first message, if any. */
  private void startLocked(boolean withHalfClose) {
    started = true;
    long now = System.currentTimeMillis();
    RequestEnvelope request =
        new RequestEnvelope(
            CallKind.GRPC,
            method,
            "",
            metadata,
            firstMessage == null ? new byte[0] : firstMessage,
            Ids.random128(),
            callId,
            context.replyQueue(),
            now,
            deadlineMillis);
    boolean hasMessage = firstMessage != null;
    firstMessage = null;
    context
        .publisher()
        .publish(
            RequestPublisher.Outgoing.request(
                service,
                GrpcCodec.encodeStart(request, hasMessage, withHalfClose, WINDOW),
                outcome()));
  }

  /**
   * Sends what waits in the outbox, in order, as far as the call address is known and, for
   * messages, the server has granted credit.
   */
  private void flushOutboxLocked() {
    while (address != null && !closed && !outbox.isEmpty()) {
      GrpcFrame next = outbox.peek();
      if (next.message() != null) {
        if (sendCredit <= 0) {
          return;
        }
        sendCredit--;
      }
      publishLocked(outbox.poll());
    }
  }

  private void publishLocked(GrpcFrame frame) {
    publishLocked(frame, outcome());
  }

  /** Publishes a frame; a cancel goes out even though the call has ended by then. */
  private void publishLocked(GrpcFrame frame, RequestPublisher.Outcome outcome) {
    GrpcFrame numbered =
        new GrpcFrame(
            callId,
            sendSeq++,
            null,
            null,
            frame.message(),
            frame.halfClose(),
            frame.credit(),
            frame.cancel(),
            null,
            null);
    context
        .publisher()
        .publish(
            RequestPublisher.Outgoing.toQueue(
                address, GrpcCodec.encodeFrame(numbered, System.currentTimeMillis()), outcome));
  }

  private RequestPublisher.Outcome outcome() {
    return new RequestPublisher.Outcome() {
      @Override
      public boolean wanted() {
        synchronized (StreamCall.this) {
          return !closed;
        }
      }

      @Override
      public void failed(FerryError error, String detail) {
        fail(error, detail, false);
      }
    };
  }

  /** A frame from the server sidecar, on the reply consumer's thread. */
  synchronized void onFrame(GrpcFrame frame) {
    if (closed) {
      return;
    }
    if (frame.seq() != expectSeq) {
      logger.warn(
          "frame out of order callId={} expected={} got={}", callId, expectSeq, frame.seq());
      end(
          sidecarStatus(FerryError.PROTOCOL_ERROR, "frame " + frame.seq() + " out of order"),
          FerryError.PROTOCOL_ERROR,
          true);
      return;
    }
    expectSeq++;
    acceptLocked(frame);
  }

  private void acceptLocked(GrpcFrame frame) {
    sendCredit += frame.credit();
    if (frame.callAddress() != null && address == null) {
      address = frame.callAddress();
      ping =
          context
              .timer()
              .scheduleWithFixedDelay(this::ping, PING_MILLIS, PING_MILLIS, TimeUnit.MILLISECONDS);
    }
    flushOutboxLocked();
    if (closed) {
      return; // A publish failed at once and ended the call.
    }
    if (frame.headers() != null) {
      List<Header> headers = frame.headers();
      emit(() -> listener.onHeaders(headers));
    }
    if (frame.message() != null) {
      inbox.add(frame.message());
    }
    if (frame.status() != null) {
      finalStatus = frame.status();
      finalError = frame.error();
    }
    deliverLocked();
    signalReadyLocked();
  }

  /** Hands the caller what it asked for, grants the server more, and ends the call when due. */
  private void deliverLocked() {
    while (demand > 0 && !inbox.isEmpty()) {
      byte[] message = inbox.poll();
      demand--;
      deliveredSinceGrant++;
      emit(() -> listener.onMessage(message));
    }
    if (finalStatus != null && inbox.isEmpty()) {
      finishLocked(finalStatus, finalError);
      return;
    }
    if (address != null && deliveredSinceGrant >= WINDOW / 2) {
      publishLocked(GrpcFrame.of(callId, 0).withCredit(deliveredSinceGrant));
      deliveredSinceGrant = 0;
    }
  }

  /** Tells the listener when the call turns ready for another message (false to true). */
  private void signalReadyLocked() {
    boolean ready = isReady();
    if (ready && !wasReady) {
      emit(listener::onReady);
    }
    wasReady = ready;
  }

  /** Queues a listener event, unless the call has ended: onClose is always the last event. */
  private void emit(Runnable event) {
    if (!closed) {
      events.execute(event);
    }
  }

  private void ping() {
    synchronized (this) {
      if (!closed && address != null) {
        publishLocked(GrpcFrame.of(callId, 0));
      }
    }
  }

  /** The broker returned something this call published: its queue is gone. */
  void onReturned(String detail) {
    boolean toServer;
    synchronized (this) {
      toServer = address != null;
    }
    if (toServer) {
      fail(FerryError.UPSTREAM_UNAVAILABLE, "the server sidecar of this call is gone", false);
    } else {
      fail(FerryError.NO_ROUTE, detail, false);
    }
  }

  public void fail(FerryError error, String detail, boolean tellServer) {
    end(sidecarStatus(error, detail), error, tellServer);
  }

  /** A sidecar-made status: the error's gRPC code, a short message, and the ferry-error trailer. */
  static GrpcStatus sidecarStatus(FerryError error, String detail) {
    return new GrpcStatus(
        error.grpcCode(),
        "ferry: " + error.code() + ": " + detail,
        List.of(new Header(FERRY_ERROR, error.code())));
  }

  private synchronized void end(GrpcStatus status, FerryError error, boolean tellServer) {
    if (closed) {
      return;
    }
    if (!opened) {
      closed = true; // Ended before start(), which tells the listener.
      finalStatus = status;
      finalError = error;
      return;
    }
    if (tellServer) {
      tellServerLocked();
    }
    inbox.clear();
    finishLocked(status, error);
  }

  /** Best effort: the server sidecar cancels the call (or skips it if it has not taken it yet). */
  private void tellServerLocked() {
    if (address != null) {
      publishLocked(GrpcFrame.of(callId, 0).withCancel(), IGNORED);
    } else if (started) {
      context
          .publisher()
          .publish(
              new RequestPublisher.Outgoing(
                  Topology.controlExchange(service),
                  "",
                  null,
                  GrpcCodec.encodeFrame(
                      GrpcFrame.of(callId, 0).withCancel(), System.currentTimeMillis()),
                  IGNORED));
    }
  }

  private void finishLocked(GrpcStatus status, FerryError error) {
    closed = true;
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (ping != null) {
      ping.cancel(false);
    }
    context.registry().remove(callId);
    String outcome = error != null ? error.code() : status.code() == CANCELLED ? "cancelled" : "ok";
    context.outcomes().ended(service, outcome, System.nanoTime() - startNanos);
    events.execute(() -> listener.onClose(status, error));
  }

  private static final RequestPublisher.Outcome IGNORED =
      new RequestPublisher.Outcome() {
        @Override
        public boolean wanted() {
          return true;
        }

        @Override
        public void failed(FerryError error, String detail) {}
      };
}
