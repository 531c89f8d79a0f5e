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
import dev.ferry.server.resilience.Retries;
import dev.ferry.server.resilience.UpstreamBreaker;
import dev.ferry.server.resilience.UpstreamGuard;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.util.internal.ThreadExecutorMap;
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
 * <p>When this sidecar cancels the upstream call itself, it records why first ({@link Stop}), and
 * from then on ignores the client's frames (grpc-java refuses anything more for a cancelled call)
 * and reports that reason, not grpc-java's CANCELLED, to the caller; or reports nothing, when the
 * start went back to the queue or the caller is gone.
 *
 * <p>The upstream's circuit breaker hears how each attempt went: answered (response headers, or a
 * status of the service's own other than UNAVAILABLE) or failed (not reached, reset, timed out,
 * UNAVAILABLE). While it is open the start goes back to the queue untouched. A call whose whole
 * request came with its start (unary, server-streaming) and that ended UNAVAILABLE before anything
 * of it reached the service is tried again ({@link Retries}, at most {@code --max-retries} times,
 * within the retry budget).
 *
 * <p>State is guarded by {@code this}; upstream callbacks run on the upstream channel's event loop.
 */
public final class ServerGrpcCall implements ActiveCalls.Call {
  private static final Logger logger = LoggerFactory.getLogger(ServerGrpcCall.class);

  /** A call that ends this close to its deadline has run out of time (timers are coarse). */
  static final long DEADLINE_TOLERANCE_MILLIS = 50;

  /** What every call of this sidecar shares. */
  public record Context(
      AmqpWriter writer,
      GrpcUpstream upstream,
      String callAddress,
      ActiveCalls calls,
      Runnable onFinished,
      Consumer<FerryError> replied,
      Runnable skipped,
      UpstreamGuard guard,
      Runnable handedBack) {}

  /**
   * Why this sidecar cancelled the upstream call. A null {@code error}: the caller cancelled, and
   * the status goes back as grpc-java reports it. {@code publish} false: nothing more goes to the
   * caller (the start went back to the queue, or the caller's reply queue is gone).
   */
  private record Stop(FerryError error, String detail, boolean publish) {
    static Stop byCaller() {
      return new Stop(null, "cancelled by the caller", true);
    }

    static Stop abandoned(String why) {
      return new Stop(null, why, false);
    }

    static Stop failed(FerryError error, String detail) {
      return new Stop(error, detail, true);
    }
  }

  private final Context context;
  private final RequestEnvelope request;
  private final GrpcCodec.Start start;
  private final Delivery delivery;
  private final CallerFrames frames;
  private ServiceTrailers serviceTrailers = new ServiceTrailers();

  private ClientCall<byte[], byte[]> upstream;
  private ClientToUpstream toUpstream;
  private long budgetMillis;
  private boolean settled;
  private boolean upstreamClosed;
  private boolean done;
  private Stop stop;
  private List<Header> pendingHeaders;
  private byte[] pendingMessage;
  private boolean flushScheduled;
  private boolean headersSeen;
  private boolean judged; // The breaker has heard of the current attempt.
  private UpstreamBreaker.Permit permit; // The current attempt's (or the pending retry's).
  private long attemptStartedNanos;
  private int retries;
  private boolean retryPending;

  public ServerGrpcCall(Context context, GrpcCodec.Start start, Delivery delivery) {
    this.context = context;
    this.request = start.request();
    this.start = start;
    this.delivery = delivery;
    this.frames =
        new CallerFrames(
            context.writer(),
            request.correlationId(),
            request.replyTo(),
            context.callAddress(),
            new FrameOutcomes());
  }

  /** Starts the upstream call, which must end within {@code remainingMillis}. */
  public synchronized void begin(long remainingMillis) {
    String callId = request.correlationId();
    if (!context.calls().addUnlessCancelled(callId, this)) {
      logger.debug("skipped call cancelled before it was taken callId={}", callId);
      context.skipped().run();
      settled = true;
      upstreamClosed = true;
      done = true;
      delivery.ack();
      context.onFinished().run();
      return;
    }
    permit = context.guard().breaker().tryAcquire();
    if (permit == null) {
      handBack(callId);
      return;
    }
    context.guard().retries().deposit();
    budgetMillis = remainingMillis;
    try {
      startUpstream(remainingMillis);
    } catch (RuntimeException e) {
      // The dispatcher returns the start to the queue and counts it out: nothing more happens here.
      if (!judged) {
        judged = true;
        permit.release();
      }
      settled = true;
      done = true;
      context.calls().remove(callId, this);
      abandon("the server sidecar failed to start the call");
      throw e;
    }
  }

  /** The circuit is open: the start goes back to the queue, for a healthy replica to take. */
  private void handBack(String callId) {
    logger.debug("circuit open, returning the call to the queue callId={}", callId);
    context.calls().remove(callId, this);
    context.handedBack().run();
    settled = true;
    upstreamClosed = true;
    done = true;
    delivery.requeue();
    context.onFinished().run();
  }

  /** Starts an attempt of the upstream call, holding a breaker permit. */
  private void startUpstream(long remainingMillis) {
    judged = false;
    attemptStartedNanos = System.nanoTime();
    serviceTrailers = new ServiceTrailers();
    upstream = context.upstream().newCall(request.method(), remainingMillis, serviceTrailers);
    upstream.start(new UpstreamListener(), RawGrpc.metadata(request.headers()));
    if (upstreamClosed || retryPending) {
      return; // grpc-java failed the call at once (e.g. its channel is shut down); it is handled.
    }
    toUpstream =
        new ClientToUpstream(
            upstream,
            credit -> frames.send(GrpcFrame.of(request.correlationId(), 0).withCredit(credit)));
    toUpstream.begin(start);
  }

  /** A frame from the client, on the call queue's consumer thread. */
  @Override
  public synchronized void onClientFrame(GrpcFrame frame) {
    if (upstreamClosed || stop != null) {
      return; // Over, or cancelled here: grpc-java refuses anything more for the call.
    }
    if (frame.cancel()) {
      cancelUpstream(Stop.byCaller());
      return;
    }
    String problem = toUpstream.accept(frame);
    if (problem != null) {
      logger.warn(
          "client broke the protocol, ending the call callId={} problem={}",
          request.correlationId(),
          problem);
      cancelUpstream(Stop.failed(FerryError.PROTOCOL_ERROR, problem));
    }
  }

  /** The broker returned a frame of this call: its caller is gone, so the service may stop. */
  @Override
  public synchronized void onReturned() {
    if (!upstreamClosed && (stop == null || stop.publish())) {
      logger.debug("caller gone, cancelling the upstream call callId={}", request.correlationId());
      abandon("the caller is gone");
    }
  }

  /** Cancels the upstream call for {@code why}, unless it is over or already being cancelled. */
  private void cancelUpstream(Stop why) {
    if (stop != null || upstreamClosed) {
      return;
    }
    stop = why; // First: grpc-java may report the close at once, on this thread.
    upstream.cancel(why.detail(), null);
  }

  /** Ends the call without a word to the caller; the upstream call is cancelled if still open. */
  private void abandon(String why) {
    if (upstreamClosed || upstream == null) {
      return;
    }
    if (stop == null) {
      cancelUpstream(Stop.abandoned(why));
    } else {
      stop = Stop.abandoned(why); // Cancelled already; its close is still to come.
    }
  }

  /** Acknowledges the start, or returns it to the queue; once. */
  private void settle(boolean requeue) {
    if (settled) {
      return;
    }
    settled = true;
    if (requeue) {
      delivery.requeue();
    } else {
      delivery.ack();
    }
  }

  private boolean isAbandonedAndClosed() {
    return upstreamClosed && stop != null && !stop.publish();
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    context.calls().remove(request.correlationId(), this);
    context.onFinished().run();
  }

  /** Sends what is held: the service's headers and one message. */
  private synchronized void flush() {
    flushScheduled = false;
    if (upstreamClosed || stop != null || (pendingHeaders == null && pendingMessage == null)) {
      return;
    }
    frames.send(withPending(GrpcFrame.of(request.correlationId(), 0)));
  }

  private GrpcFrame withPending(GrpcFrame frame) {
    if (pendingHeaders != null) {
      frame = frame.withHeaders(pendingHeaders);
      pendingHeaders = null;
    }
    if (pendingMessage != null) {
      frame = frame.withMessage(pendingMessage);
      pendingMessage = null;
    }
    return frame;
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

  /** The upstream call is over: the status the caller gets, unless the call was abandoned. */
  private void closed(Status status, Metadata trailers) {
    judge(status);
    if (retryIfNothingReachedTheService(status)) {
      return;
    }
    upstreamClosed = true;
    if (toUpstream != null) {
      toUpstream.clear();
    }
    if (stop != null && !stop.publish()) {
      logger.debug("call abandoned callId={} why={}", request.correlationId(), stop.detail());
      if (settled) {
        finish();
      } // Else the first frame's confirmation finishes it.
      return;
    }
    GrpcFrame frame = GrpcFrame.of(request.correlationId(), 0);
    if (stop == null) {
      frame = withPending(frame);
    }
    FerryError error =
        stop != null
            ? stop.error()
            : StatusMarking.sidecarError(
                status.getCode(), serviceTrailers.seen(), deadlinePassed());
    context.replied().accept(error);
    frames.send(frame.withStatus(toCaller(status, trailers, error), error));
  }

  /** The service's status as it is, or the sidecar error it stands for. */
  private GrpcStatus toCaller(Status status, Metadata trailers, FerryError error) {
    if (error == null) {
      String description = status.getDescription() == null ? "" : status.getDescription();
      return new GrpcStatus(status.getCode().value(), description, RawGrpc.headers(trailers));
    }
    if (stop != null) {
      return StatusMarking.marked(error, stop.detail());
    }
    logger.debug(
        "upstream call ended in this sidecar callId={} error={} code={} description={} cause={}",
        request.correlationId(),
        error.code(),
        status.getCode(),
        status.getDescription(),
        String.valueOf(status.getCause()));
    GrpcUpstream upstreamChannel = context.upstream();
    return StatusMarking.marked(
        error,
        StatusMarking.detail(
            error,
            status.getCode(),
            budgetMillis,
            upstreamChannel.maxMessageSize(),
            upstreamChannel.isShutdown()));
  }

  /** Tells the breaker how the attempt went, unless it already knows (from response headers). */
  private void judge(Status status) {
    if (judged) {
      return;
    }
    judged = true;
    if (stop != null || context.upstream().isShutdown()) {
      permit.release(); // Cancelled here or by the caller: it says nothing about the service.
      return;
    }
    boolean failed;
    if (serviceTrailers.seen()) {
      failed = status.getCode() == Status.Code.UNAVAILABLE;
    } else {
      FerryError error = StatusMarking.sidecarError(status.getCode(), false, deadlinePassed());
      failed = error == FerryError.UPSTREAM_UNAVAILABLE || error == FerryError.TIMEOUT;
    }
    long nanos = System.nanoTime() - attemptStartedNanos;
    if (failed) {
      permit.failed(nanos);
    } else {
      permit.succeeded(nanos);
    }
  }

  /** The service sent its response headers: it answers. */
  private void answered() {
    headersSeen = true;
    if (!judged) {
      judged = true;
      permit.succeeded(System.nanoTime() - attemptStartedNanos);
    }
  }

  /**
   * Schedules another attempt when this one ended UNAVAILABLE before anything of it reached the
   * service (its headers never went out), the whole request came with the start, and the guard
   * allows a retry; true when it did.
   */
  private boolean retryIfNothingReachedTheService(Status status) {
    if (stop != null
        || headersSeen
        || !start.halfClose()
        || status.getCode() != Status.Code.UNAVAILABLE
        || serviceTrailers.seen()
        || serviceTrailers.sent()
        || context.upstream().isShutdown()) {
      return false;
    }
    int retry = retries + 1;
    long delay = Retries.backoffMillis(retry);
    long remaining = request.deadlineMillis() - System.currentTimeMillis();
    UpstreamGuard guard = context.guard();
    UpstreamBreaker.Permit next = guard.mayRetry(retry, delay, remaining);
    if (next == null) {
      return false;
    }
    if (!guard.retries().schedule(this::retry, delay)) {
      next.release();
      return false;
    }
    permit = next; // The last attempt's is judged.
    retries = retry;
    retryPending = true;
    logger.debug(
        "call did not reach the service, trying again callId={} retry={} delay_ms={}",
        request.correlationId(),
        retry,
        delay);
    return true;
  }

  /** On the retry timer: the next attempt, unless the call was cancelled meanwhile. */
  private synchronized void retry() {
    retryPending = false;
    if (stop != null) {
      permit.release(); // The retry's permit: judged is the last attempt's.
      closed(Status.CANCELLED.withDescription(stop.detail()), new Metadata());
      return;
    }
    long remaining = request.deadlineMillis() - System.currentTimeMillis();
    budgetMillis = remaining;
    try {
      startUpstream(remaining);
    } catch (RuntimeException e) {
      logger.warn("calling the service again failed callId={}", request.correlationId(), e);
      stop =
          Stop.failed(
              FerryError.UPSTREAM_UNAVAILABLE, "the server sidecar failed to call the service");
      closed(Status.UNAVAILABLE, new Metadata()); // Releases the permit (judge: stopped).
    }
  }

  private boolean deadlinePassed() {
    return System.currentTimeMillis() >= request.deadlineMillis() - DEADLINE_TOLERANCE_MILLIS;
  }

  /**
   * What became of the frames to the caller, on the writer thread. The first frame lost: nothing
   * reached the caller, so the start goes back to the queue for another run and this one ends
   * without a word (a status from it would collide with the new run's frames). A later one lost:
   * the caller's stream has a hole, so the call ends with broker-unavailable.
   */
  private final class FrameOutcomes implements CallerFrames.Listener {
    @Override
    public void firstConfirmed() {
      synchronized (ServerGrpcCall.this) {
        settle(false);
        if (isAbandonedAndClosed()) {
          finish();
        }
      }
    }

    @Override
    public void firstLost(String reason) {
      synchronized (ServerGrpcCall.this) {
        logger.warn(
            "first frame not confirmed, returning the call to the queue callId={} reason={}",
            request.correlationId(),
            reason);
        settle(true);
        abandon("its first frame was not confirmed");
        if (isAbandonedAndClosed()) {
          finish();
        }
      }
    }

    @Override
    public void middleLost(String reason) {
      synchronized (ServerGrpcCall.this) {
        logger.warn(
            "frame not confirmed, ending the call callId={} reason={}",
            request.correlationId(),
            reason);
        cancelUpstream(
            Stop.failed(
                FerryError.BROKER_UNAVAILABLE, "a response frame was not confirmed by the broker"));
      }
    }

    @Override
    public void lastSettled() {
      synchronized (ServerGrpcCall.this) {
        finish();
      }
    }
  }

  /** The service's side of the call, on the upstream channel's event loop. */
  private final class UpstreamListener extends ClientCall.Listener<byte[]> {
    @Override
    public void onHeaders(Metadata headers) {
      synchronized (ServerGrpcCall.this) {
        answered();
        if (stop == null) {
          pendingHeaders = RawGrpc.headers(headers);
          scheduleFlush();
        }
      }
    }

    @Override
    public void onMessage(byte[] message) {
      synchronized (ServerGrpcCall.this) {
        if (stop != null) {
          return;
        }
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
        if (!upstreamClosed && stop == null && toUpstream != null) {
          toUpstream.push();
        }
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      synchronized (ServerGrpcCall.this) {
        closed(status, trailers);
      }
    }
  }
}
