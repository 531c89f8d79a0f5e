package dev.ferry.loadtest.scale;

import java.time.Instant;

/**
 * What one poll of {@link Autoscaler} decided.
 *
 * @param at when (the autoscaler's clock)
 * @param metric the queue length read
 * @param active whether KEDA saw the trigger active ({@code metric > activationValue})
 * @param from replicas before
 * @param recommendation the HPA's recommendation before stabilization and clamping ({@code
 *     ceil(metric / value)}, or {@code from} within the tolerance); -1 when the HPA did not run (at
 *     zero replicas, or when KEDA scaled to zero)
 * @param to replicas after
 * @param reason which rule set {@code to}
 */
record Decision(
    Instant at, long metric, boolean active, int from, int recommendation, int to, Reason reason) {

  /** Which rule decided. */
  enum Reason {
    /** At zero replicas and not active: stays at zero (KEDA). */
    IDLE("idle"),
    /** At zero replicas and active: KEDA scales to {@code max(1, minReplicaCount)}. */
    ACTIVATE("activate"),
    /** Below {@code minReplicaCount}: KEDA scales to it. */
    MINIMUM("minimum"),
    /** The HPA's stabilized, clamped recommendation (which may equal the current count). */
    HPA("hpa"),
    /** A change the HPA's scaling policies held back (partly). */
    LIMITED("rate-limited"),
    /** A scale-down the HPA's stabilization window held back (partly or wholly). */
    STABILIZED("stabilized"),
    /** Not active for longer than {@code cooldownPeriod}: KEDA scales to zero. */
    TO_ZERO("to-zero");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  boolean changed() {
    return from != to;
  }
}
