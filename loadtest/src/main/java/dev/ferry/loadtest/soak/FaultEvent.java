package dev.ferry.loadtest.soak;

/**
 * One fault the soak injected.
 *
 * @param atNanos when ({@link System#nanoTime()})
 * @param untilNanos when it was healed, for blackholes and delays; {@code atNanos} otherwise
 * @param kind what
 * @param slot the server slot it hit, or -1 for the client sidecar
 * @param process the sidecar process it hit ({@link SidecarProcess#id()})
 * @param detail for the output, e.g. {@code 2.4 s} or {@code started p7 (pid 4711)}
 */
record FaultEvent(
    long atNanos, long untilNanos, FaultKind kind, int slot, int process, String detail) {}
