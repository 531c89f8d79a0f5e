package dev.ferry.client.amqp;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.GrpcFrame;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The gRPC calls in progress, by call id, so that frames and returns find their call. */
public final class StreamRegistry {
  private final Map<String, StreamCall> calls = new ConcurrentHashMap<>();

  void add(String callId, StreamCall call) {
    calls.put(callId, call);
  }

  void remove(String callId) {
    if (calls.remove(callId) != null && calls.isEmpty()) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** Waits until no call is in progress or {@code timeoutNanos} passed; true when none is. */
  public synchronized boolean awaitEmpty(long timeoutNanos) throws InterruptedException {
    long until = System.nanoTime() + timeoutNanos;
    while (!calls.isEmpty()) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Routes a frame to its call; false when no such call is in progress. */
  public boolean deliver(GrpcFrame frame) {
    StreamCall call = calls.get(frame.callId());
    if (call == null) {
      return false;
    }
    call.onFrame(frame);
    return true;
  }

  /** Tells the call that published {@code callId}'s message that the broker returned it. */
  public boolean returned(String callId, String detail) {
    StreamCall call = calls.get(callId);
    if (call == null) {
      return false;
    }
    call.onReturned(detail);
    return true;
  }

  /** Fails every call in progress, e.g. when the client closes. */
  public void failAll(FerryError error, String detail) {
    for (StreamCall call : new ArrayList<>(calls.values())) {
      call.fail(error, detail, true);
    }
  }

  public int size() {
    return calls.size();
  }
}
