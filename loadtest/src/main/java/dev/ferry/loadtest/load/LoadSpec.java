package dev.ferry.loadtest.load;

import java.time.Duration;

/**
 * What load to apply.
 *
 * @param ratePerSecond open loop at this constant arrival rate when more than 0; 0 for the closed
 *     loop
 * @param concurrency closed loop: callers, each sending its next request when the previous one
 *     ended
 * @param bodySize request body in bytes
 * @param warmup load applied but not measured, before the measured window
 * @param duration the measured window
 * @param timeout how long one request may take before the generator gives up on it
 */
public record LoadSpec(
    double ratePerSecond,
    int concurrency,
    int bodySize,
    Duration warmup,
    Duration duration,
    Duration timeout) {
  public LoadSpec {
    if (ratePerSecond < 0 || Double.isNaN(ratePerSecond) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("--rate: " + ratePerSecond + " (expected: 0 or more)");
    }
    if (ratePerSecond == 0 && concurrency < 1) {
      throw new IllegalArgumentException(
          "--concurrency: " + concurrency + " (expected: 1 or more)");
    }
    if (bodySize < 0) {
      throw new IllegalArgumentException("--body-size: " + bodySize + " (expected: 0 or more)");
    }
    if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("--duration must be positive, --warmup not negative");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("--timeout must be positive");
    }
  }

  /** A closed loop of {@code concurrency} callers. */
  public static LoadSpec closed(
      int concurrency, int bodySize, Duration warmup, Duration duration, Duration timeout) {
    return new LoadSpec(0, concurrency, bodySize, warmup, duration, timeout);
  }

  public boolean openLoop() {
    return ratePerSecond > 0;
  }

  /** {@code open 500/s} or {@code closed c=64}, for labels. */
  public String describe() {
    return openLoop()
        ? String.format(java.util.Locale.ROOT, "open %.0f/s", ratePerSecond)
        : "closed c=" + concurrency;
  }
}
