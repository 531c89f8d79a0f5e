package dev.ferry.server.resilience;

import io.micrometer.core.instrument.Counter;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The retries of one upstream's calls: at most {@code --max-retries} per request, each only if it
 * can wait its delay and still leave {@link #REPLY_RESERVE_MILLIS} of the request's budget, and
 * only while the {@link RetryBudget} allows; counted in {@code ferry.upstream.retries}. Which
 * outcomes may be retried is the caller's business ({@link ResilientHttp}, the gRPC call).
 * Thread-safe.
 */
public final class Retries {
  /** The delay before the first retry when the service names none; it doubles for each further. */
  static final long FIRST_DELAY_MILLIS = 50;

  static final long MAX_DELAY_MILLIS = 1_000;

  /**
   * What a retry must leave of the request's budget: enough for the reply to reach the caller
   * before its own deadline turns it into a timeout (as connection retries keep).
   */
  static final long REPLY_RESERVE_MILLIS = 250;

  private final int maxRetries;
  private final RetryBudget budget;
  private final ScheduledExecutorService timer;
  private final Counter retried;

  Retries(int maxRetries, RetryBudget budget, ScheduledExecutorService timer, Counter retried) {
    this.maxRetries = maxRetries;
    this.budget = budget;
    this.timer = timer;
    this.retried = retried;
  }

  /** A request starts: it earns its share of the budget. */
  public void deposit() {
    budget.deposit();
  }

  /**
   * Whether retry number {@code retry} (1 for the first) may be made after {@code delayMillis} with
   * {@code remainingMillis} of the request's budget left; does not touch the budget.
   */
  boolean withinLimits(int retry, long delayMillis, long remainingMillis) {
    return retry <= maxRetries && delayMillis + REPLY_RESERVE_MILLIS < remainingMillis;
  }

  boolean withdraw() {
    return budget.tryWithdraw();
  }

  /** The delay before retry number {@code retry} when the service named none: 50 ms, 100 ms, … */
  public static long backoffMillis(int retry) {
    int doublings = Math.min(Math.max(retry, 1) - 1, 10);
    return Math.min(MAX_DELAY_MILLIS, FIRST_DELAY_MILLIS << doublings);
  }

  /**
   * Runs the retry {@code attempt} after {@code delayMillis} on the timer thread and counts it;
   * false (nothing runs) once the sidecar is closing.
   */
  public boolean schedule(Runnable attempt, long delayMillis) {
    try {
      timer.schedule(attempt, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      return false;
    }
    retried.increment();
    return true;
  }
}
