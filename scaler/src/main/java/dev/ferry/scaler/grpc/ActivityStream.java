package dev.ferry.scaler.grpc;

import dev.ferry.scaler.externalscaler.IsActiveResponse;
import dev.ferry.scaler.load.LoadListener;
import dev.ferry.scaler.load.ServiceLoad;
import io.grpc.stub.ServerCallStreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open {@code StreamIsActive} call: sends whether its trigger is active once the service's
 * metric is first known, then each time that changes. Holds at most the latest state while the call
 * cannot take more (gRPC flow control) and sends it once it can: never more than one message waits.
 * Thread-safe.
 */
final class ActivityStream implements LoadListener {
  private static final Logger logger = LoggerFactory.getLogger(ActivityStream.class);

  private final ServerCallStreamObserver<IsActiveResponse> call;
  private final Trigger trigger;
  private final ServiceLoad load;
  private Boolean wanted; // Guarded by this; null until the metric is known.
  private Boolean sent; // Guarded by this.
  private long metric; // Guarded by this.
  private boolean ended; // Guarded by this.

  ActivityStream(
      ServerCallStreamObserver<IsActiveResponse> call, Trigger trigger, ServiceLoad load) {
    this.call = call;
    this.trigger = trigger;
    this.load = load;
  }

  /** Starts listening to the service's load: sends the current state once it is known. */
  void start() {
    load.listen(this);
  }

  /** Stops listening (the call was cancelled). */
  void cancelled() {
    load.unlisten(this);
    synchronized (this) {
      ended = true;
    }
  }

  /**
   * Ends the call cleanly (the scaler stops): KEDA sees the end of the stream, not an error, and
   * opens it again after 2 s (its backoff restarts only after a clean end).
   */
  void complete() {
    load.unlisten(this);
    synchronized (this) {
      if (!ended) {
        ended = true;
        call.onCompleted();
      }
    }
  }

  @Override
  public synchronized void load(long metric) {
    this.metric = metric;
    wanted = trigger.active(metric);
    flush();
  }

  /**
   * Sends the wanted state if it is news and the call can take it; also gRPC's on-ready handler.
   */
  synchronized void flush() {
    if (ended || wanted == null || wanted.equals(sent) || call.isCancelled() || !call.isReady()) {
      return;
    }
    call.onNext(IsActiveResponse.newBuilder().setResult(wanted).build());
    if (sent != null || wanted) {
      logger.info(
          "pushed activity service={} active={} metric={} scaled_object={}",
          trigger.service(),
          wanted,
          metric,
          trigger.scaledObject());
    }
    sent = wanted;
  }
}
