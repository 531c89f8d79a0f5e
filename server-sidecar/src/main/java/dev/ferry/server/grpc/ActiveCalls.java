package dev.ferry.server.grpc;

import dev.ferry.protocol.GrpcFrame;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC calls this server sidecar runs, by call id, and the ids of calls cancelled before they
 * arrived (bounded), so that a cancelled call taken off the queue later is skipped. Both maps are
 * guarded by {@code this}, so that a call that starts and a cancel that arrives at the same time
 * never miss each other; a call's own methods always run outside that lock (a call takes its own
 * lock first and then this one, never the other way round). Thread-safe.
 */
public final class ActiveCalls {
  private static final Logger logger = LoggerFactory.getLogger(ActiveCalls.class);
  static final int REMEMBERED_CANCELS = 10_000;

  /** What a running call takes from the outside: its client's frames, and returned frames. */
  interface Call {
    /** A frame from the client, on the call queue's consumer thread. */
    void onClientFrame(GrpcFrame frame);

    /** The broker returned a frame of this call: the caller's reply queue is gone. */
    void onReturned();
  }

  private final Map<String, Call> calls = new HashMap<>();
  private final Map<String, Boolean> cancelledEarly =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_CANCELS;
        }
      };
  private final AtomicLong unknownFrames = new AtomicLong();

  /**
   * Registers {@code call} unless its caller cancelled it before this sidecar took it; false then
   * (and the remembered cancel is used up).
   */
  synchronized boolean addUnlessCancelled(String callId, Call call) {
    if (cancelledEarly.remove(callId) != null) {
      return false;
    }
    calls.put(callId, call);
    return true;
  }

  /**
   * Forgets {@code call}; not a newer call of the same id (a start that went back to the queue and
   * came back while its first run was still ending).
   */
  synchronized void remove(String callId, Call call) {
    calls.remove(callId, call);
  }

  /**
   * A frame from a client: to its call, or remembered if it is a cancel for a call not here yet.
   * Any other frame for a call not here (over, or run by another sidecar) is counted and dropped.
   */
  void deliver(GrpcFrame frame) {
    Call call;
    synchronized (this) {
      call = calls.get(frame.callId());
      if (call == null && frame.cancel()) {
        cancelledEarly.put(frame.callId(), Boolean.TRUE);
        return;
      }
    }
    if (call != null) {
      call.onClientFrame(frame);
      return;
    }
    unknownFrames.incrementAndGet();
    logger.debug(
        "dropped a client frame of a call not running here callId={} seq={}",
        frame.callId(),
        frame.seq());
  }

  /**
   * The broker returned a message this sidecar published with {@code correlationId}; the call it
   * belongs to (if it is a call that runs here) learns that its caller is gone.
   */
  public void returned(String correlationId) {
    Call call;
    synchronized (this) {
      call = calls.get(correlationId);
    }
    if (call != null) {
      call.onReturned();
    }
  }

  /** Client frames dropped because their call does not run here. */
  public long unknownFrames() {
    return unknownFrames.get();
  }

  public synchronized int size() {
    return calls.size();
  }
}
