package dev.ferry.loadtest.load;

/**
 * The open loop's timetable: request {@code i} is due at {@code startNanos + i / rate}, whatever
 * happened to the ones before it. Latency is measured from that intended time, so a stall of the
 * system (or of the generator) shows up as the latency of every request it delayed instead of
 * thinning out the samples (no coordinated omission).
 *
 * @param startNanos {@link System#nanoTime()} of request 0
 * @param perSecond requests per second, more than 0
 */
public record Schedule(long startNanos, double perSecond) {
  public Schedule {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("rate: " + perSecond + " (expected: more than 0)");
    }
  }

  /** When request {@code i} (from 0) is due, in {@link System#nanoTime()} terms. */
  public long intendedNanos(long i) {
    return startNanos + Math.round(i * 1e9 / perSecond);
  }

  /**
   * How many requests are due by {@code nowNanos} (those with an intended time at or before it).
   */
  public long dueBy(long nowNanos) {
    if (nowNanos < startNanos) {
      return 0;
    }
    long n = (long) Math.floor((nowNanos - startNanos) * perSecond / 1e9) + 1;
    // Rounding of intendedNanos may put the boundary one either way; settle it exactly.
    while (n > 0 && intendedNanos(n - 1) > nowNanos) {
      n--;
    }
    while (intendedNanos(n) <= nowNanos) {
      n++;
    }
    return n;
  }
}
