package dev.ferry.loadtest.bench;

/**
 * What the bench learnt about one sidecar process.
 *
 * @param role {@code client} or {@code server}
 * @param startToReadyMillis from spawning the JVM to the first {@code /readyz} 200
 * @param peakRssMib VmHWM at the end of the bench (after the saturation runs), MiB; NaN if unread
 */
record SidecarFacts(String role, double startToReadyMillis, double peakRssMib) {}
