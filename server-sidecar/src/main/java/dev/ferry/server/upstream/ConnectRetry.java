package dev.ferry.server.upstream;

/**
 * When to try connecting to the service again after a failed attempt, and how long one attempt may
 * take, within a request's budget. Nothing was sent on a connection that failed to open, so trying
 * again is always safe; it is what lets a request wait out a service that starts a moment after its
 * sidecar (or restarts).
 */
final class ConnectRetry {
  /** The delay after the first failed attempt; it doubles after each further one. */
  static final long FIRST_DELAY_MILLIS = 50;

  /** The longest delay between two attempts. */
  static final long MAX_DELAY_MILLIS = 1_000;

  /**
   * What is kept of the budget when deciding to wait for another attempt: enough for the {@code
   * upstream-unavailable} reply to reach the caller before its own deadline turns it into a
   * timeout.
   */
  static final long REPLY_RESERVE_MILLIS = 250;

  /** The longest one attempt may take, however large the budget. */
  static final int MAX_CONNECT_TIMEOUT_MILLIS = 5_000;

  private ConnectRetry() {}

  /**
   * The delay before the next attempt after {@code failures} (1 or more) failed ones: 50 ms, 100
   * ms, 200 ms, … up to 1 s; or -1 when the budget left ({@code remainingMillis}) is not more than
   * that delay and the {@link #REPLY_RESERVE_MILLIS}.
   */
  static long delayMillis(int failures, long remainingMillis) {
    int doublings = Math.min(Math.max(failures, 1) - 1, 10);
    long delay = Math.min(MAX_DELAY_MILLIS, FIRST_DELAY_MILLIS << doublings);
    return delay + REPLY_RESERVE_MILLIS < remainingMillis ? delay : -1;
  }

  /** The connect timeout of an attempt made with {@code remainingMillis} left: at most 5 s. */
  static int connectTimeoutMillis(long remainingMillis) {
    return (int) Math.max(1, Math.min(MAX_CONNECT_TIMEOUT_MILLIS, remainingMillis));
  }
}
