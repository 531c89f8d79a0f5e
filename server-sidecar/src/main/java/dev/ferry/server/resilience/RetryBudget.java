package dev.ferry.server.resilience;

/**
 * How many retries this sidecar may still make, so that retries never multiply the load on a
 * struggling service: every request deposits {@code percent} hundredths of a token, every retry
 * takes a whole one, and at most {@link #BURST} tokens are kept (it starts full, so a quiet service
 * can still be retried). Over any stretch, retries are at most {@code percent}% of the requests
 * plus {@link #BURST}. Integer arithmetic, so that it is exact. Thread-safe.
 */
public final class RetryBudget {
  /** Retries possible without any traffic before them, and the most tokens ever kept. */
  static final int BURST = 10;

  private static final long TOKEN = 100;

  private final int percent;
  private final long capacity;
  private long hundredths; // Guarded by this.

  /** A budget of {@code percent}% (0 to 100) of the requests; 0 allows no retry at all. */
  public RetryBudget(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("percent: " + percent + " (expected: 0..100)");
    }
    this.percent = percent;
    this.capacity = percent == 0 ? 0 : BURST * TOKEN;
    this.hundredths = capacity;
  }

  /** A request was made: it earns part of a retry. */
  public synchronized void deposit() {
    hundredths = Math.min(capacity, hundredths + percent);
  }

  /** Takes one retry from the budget; false (taking nothing) when it is spent. */
  public synchronized boolean tryWithdraw() {
    if (hundredths < TOKEN) {
      return false;
    }
    hundredths -= TOKEN;
    return true;
  }

  /** Whole retries left. */
  synchronized long available() {
    return hundredths / TOKEN;
  }
}
