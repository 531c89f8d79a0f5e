package dev.ferry.client.amqp;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The calls waiting for a reply, by correlation id, with a bound on how many may wait. Each call
 * leaves exactly once: by its reply, its deadline, or a failure. Thread-safe.
 */
public final class PendingCalls {
  private final Map<String, PendingCall> calls = new ConcurrentHashMap<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong bytes = new AtomicLong();
  private final int max;
  private final long maxBytes;
  private final ScheduledExecutorService timer;

  public PendingCalls(int max, ScheduledExecutorService timer) {
    this(max, Long.MAX_VALUE, timer);
  }

  /** At most {@code max} calls and {@code maxBytes} of request bodies wait at once. */
  public PendingCalls(int max, long maxBytes, ScheduledExecutorService timer) {
    this.max = max;
    this.maxBytes = maxBytes;
    this.timer = timer;
  }

  /** Registers a call without a body; see {@link #register(String, String, long, long)}. */
  public PendingCall register(String correlationId, String service, long timeoutMillis) {
    return register(correlationId, service, timeoutMillis, 0);
  }

  /**
   * Registers a new call, holding {@code bodyBytes}, that times out after {@code timeoutMillis};
   * returns {@code null} when {@code max} calls, or {@code maxBytes} of bodies, are already waiting
   * (a single call larger than the byte bound is still let through when nothing waits).
   */
  public PendingCall register(
      String correlationId, String service, long timeoutMillis, long bodyBytes) {
    if (size.incrementAndGet() > max) {
      size.decrementAndGet();
      return null;
    }
    long held = bytes.addAndGet(bodyBytes);
    if (held > maxBytes && held != bodyBytes) {
      bytes.addAndGet(-bodyBytes);
      size.decrementAndGet();
      return null;
    }
    PendingCall call = new PendingCall(this, correlationId, service, System.nanoTime(), bodyBytes);
    calls.put(correlationId, call);
    try {
      call.timeout(
          timer.schedule(
              () ->
                  complete(
                      correlationId,
                      ResponseEnvelope.ofError(
                          correlationId,
                          FerryError.TIMEOUT,
                          "no reply within " + timeoutMillis + " ms",
                          -1)),
              timeoutMillis,
              TimeUnit.MILLISECONDS));
    } catch (RejectedExecutionException e) {
      fail(correlationId, FerryError.SHUTTING_DOWN, "client is closing");
    }
    return call;
  }

  /** Completes the call with {@code response}; false when no such call is waiting (any more). */
  public boolean complete(String correlationId, ResponseEnvelope response) {
    PendingCall call = calls.remove(correlationId);
    if (call == null) {
      return false;
    }
    call.complete(response); // Before the count drops, so a drain sees the response handed over.
    bytes.addAndGet(-call.bodyBytes());
    if (size.decrementAndGet() == 0) {
      synchronized (this) {
        notifyAll();
      }
    }
    return true;
  }

  /** Waits until no call is pending or {@code timeoutNanos} passed; true when none is pending. */
  public synchronized boolean awaitEmpty(long timeoutNanos) throws InterruptedException {
    long until = System.nanoTime() + timeoutNanos;
    while (size.get() > 0) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Fails the call with a sidecar error; false when it is no longer waiting. */
  public boolean fail(String correlationId, FerryError error, String detail) {
    return complete(correlationId, ResponseEnvelope.ofError(correlationId, error, detail, -1));
  }

  /** Fails every waiting call, e.g. when the client closes. */
  public void failAll(FerryError error, String detail) {
    for (String correlationId : new ArrayList<>(calls.keySet())) {
      fail(correlationId, error, detail);
    }
  }

  /** Bytes of request bodies held by waiting calls. */
  public long bytes() {
    return bytes.get();
  }

  public int size() {
    return size.get();
  }
}
