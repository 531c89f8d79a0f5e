package dev.ferry.server.grpc;

import dev.ferry.protocol.GrpcFrame;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gRPC calls this server sidecar runs, by call id, and the ids of calls cancelled before they
 * arrived (bounded), so that a cancelled call taken off the queue later is skipped. Thread-safe.
 */
public final class ActiveCalls {
  private static final int REMEMBERED_CANCELS = 10_000;

  private final Map<String, ServerGrpcCall> calls = new ConcurrentHashMap<>();
  private final Map<String, Boolean> cancelledEarly =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_CANCELS;
        }
      };

  void add(String callId, ServerGrpcCall call) {
    calls.put(callId, call);
  }

  void remove(String callId) {
    calls.remove(callId);
  }

  /** True when the caller cancelled {@code callId} before this sidecar took it. */
  synchronized boolean wasCancelled(String callId) {
    return cancelledEarly.remove(callId) != null;
  }

  /**
   * A frame from a client: to its call, or remembered if it is a cancel for a call not here yet.
   */
  void deliver(GrpcFrame frame) {
    ServerGrpcCall call = calls.get(frame.callId());
    if (call != null) {
      call.onClientFrame(frame);
    } else if (frame.cancel()) {
      synchronized (this) {
        cancelledEarly.put(frame.callId(), Boolean.TRUE);
      }
    }
  }

  public int size() {
    return calls.size();
  }
}
