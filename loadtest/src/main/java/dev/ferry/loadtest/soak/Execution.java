package dev.ferry.loadtest.soak;

/**
 * One execution of a request by the service (the echo upstream), as the upstream saw it.
 *
 * @param process the server sidecar process that called the service ({@link SidecarProcess#id()})
 * @param atNanos when the request reached the service ({@link System#nanoTime()})
 * @param redelivered whether the server sidecar marked it {@code ferry-redelivered: true}
 */
record Execution(int process, long atNanos, boolean redelivered) {}
