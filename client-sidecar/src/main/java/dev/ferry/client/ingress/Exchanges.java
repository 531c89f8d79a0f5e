package dev.ferry.client.ingress;

import java.util.concurrent.TimeUnit;

/**
 * The HTTP exchanges in progress on all caller connections (from the request read to its response
 * fully written or dropped), and whether the front end is draining. Thread-safe.
 */
final class Exchanges {
  /** Fired on every connection when draining starts. */
  static final Object DRAIN = new Object();

  private int count;
  private volatile boolean draining;

  synchronized void enter() {
    count++;
  }

  synchronized void leave() {
    if (--count == 0) {
      notifyAll();
    }
  }

  synchronized int count() {
    return count;
  }

  void startDraining() {
    draining = true;
  }

  boolean isDraining() {
    return draining;
  }

  /** Waits until no exchange is in progress or {@code timeoutNanos} passed; true when none is. */
  synchronized boolean awaitNone(long timeoutNanos) throws InterruptedException {
    long until = System.nanoTime() + timeoutNanos;
    while (count > 0) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }
}
