package dev.ferry.server.dispatch;

import java.util.concurrent.TimeUnit;

/** Counts requests taken but not yet settled, and lets a drain wait for none. Thread-safe. */
public final class InFlight {
  private int count;

  synchronized void enter() {
    count++;
  }

  synchronized void leave() {
    if (--count == 0) {
      notifyAll();
    }
  }

  public synchronized int count() {
    return count;
  }

  /** Waits until nothing is in flight or {@code timeoutNanos} passed; true when nothing is. */
  public synchronized boolean awaitNone(long timeoutNanos) throws InterruptedException {
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
