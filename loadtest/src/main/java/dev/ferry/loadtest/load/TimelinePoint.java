package dev.ferry.loadtest.load;

/**
 * One interval (about a second) of the measured window, for the latency-over-time chart.
 *
 * @param atSeconds end of the interval, seconds since the measured window began
 * @param ok requests answered successfully in it
 * @param errors requests that failed in it
 * @param p50Micros median latency of its successes (0 when none)
 * @param p99Micros 99th percentile
 * @param maxMicros the slowest
 */
public record TimelinePoint(
    double atSeconds, long ok, long errors, long p50Micros, long p99Micros, long maxMicros) {}
