package dev.ferry.loadtest.scale;

/**
 * One poll of the autoscaler on the timeline.
 *
 * @param t seconds since the load pattern started
 * @param decision what it decided
 */
record Poll(double t, Decision decision) {}
