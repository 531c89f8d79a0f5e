/**
 * {@code ferry-loadtest soak}: a randomized fault soak of real sidecar processes that ends with the
 * invariant counts (one answer per request by its deadline, never another request's, executed once
 * and never after its deadline, nothing left behind). {@link dev.ferry.loadtest.soak.SoakCommand}
 * holds the flags; {@code Soak} runs it, {@code Faults} injects the faults and {@code Verdict}
 * judges the outcome.
 */
package dev.ferry.loadtest.soak;
