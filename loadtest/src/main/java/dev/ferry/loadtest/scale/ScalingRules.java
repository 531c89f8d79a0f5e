package dev.ferry.loadtest.scale;

import dev.ferry.common.Cli.ConfigException;
import java.time.Duration;

/**
 * The numbers {@link Autoscaler} follows: a {@link ScaledObject}'s, possibly compressed in time for
 * a short run. Validated here.
 *
 * @param minReplicaCount KEDA's floor (0: may scale to zero); the HPA's floor is at least 1
 * @param maxReplicaCount the ceiling, at least 1 and at least {@code minReplicaCount}
 * @param pollingInterval how often KEDA reads the queue, more than 0
 * @param cooldownPeriod how long after the last active poll KEDA scales to zero
 * @param scaleUpStabilization the HPA's scale-up stabilization window (0: none)
 * @param scaleDownStabilization the HPA's scale-down stabilization window (0: none)
 * @param scaleUpPolicies the HPA's scale-up rate limit
 * @param scaleDownPolicies the HPA's scale-down rate limit
 * @param targetValue the queue length one replica should carry, more than 0
 * @param activationValue KEDA activates when the queue length is above it
 * @param tolerance the HPA's tolerance: a metric-to-target ratio within {@code 1 ± tolerance}
 *     changes nothing (Kubernetes' default 0.1)
 */
record ScalingRules(
    int minReplicaCount,
    int maxReplicaCount,
    Duration pollingInterval,
    Duration cooldownPeriod,
    Duration scaleUpStabilization,
    Duration scaleDownStabilization,
    ScalingPolicies scaleUpPolicies,
    ScalingPolicies scaleDownPolicies,
    double targetValue,
    double activationValue,
    double tolerance) {
  /** The HPA's default tolerance ({@code --horizontal-pod-autoscaler-tolerance}). */
  static final double DEFAULT_TOLERANCE = 0.1;

  ScalingRules {
    if (minReplicaCount < 0 || maxReplicaCount < Math.max(1, minReplicaCount)) {
      throw new ConfigException(
          "replicas: min "
              + minReplicaCount
              + ", max "
              + maxReplicaCount
              + " (expected: 0 <= min <= max, max >= 1)");
    }
    if (pollingInterval.isNegative() || pollingInterval.isZero()) {
      throw new ConfigException("--polling-interval: " + pollingInterval + " (expected: > 0)");
    }
    notNegative("--cooldown", cooldownPeriod);
    notNegative("--stabilization", scaleDownStabilization);
    notNegative("scale-up stabilization", scaleUpStabilization);
    if (!(targetValue > 0) || activationValue < 0 || tolerance < 0) {
      throw new ConfigException(
          "trigger: value "
              + targetValue
              + ", activationValue "
              + activationValue
              + " (expected: value > 0, activationValue >= 0)");
    }
  }

  /**
   * The rules of {@code object} with its durations (the scaling policies' periods too) divided by
   * {@code timeScale} (1: as written); each non-null override replaces the scaled value.
   */
  static ScalingRules of(
      ScaledObject object,
      double timeScale,
      Duration pollingInterval,
      Duration cooldown,
      Duration scaleDownStabilization) {
    if (!(timeScale >= 1) || timeScale > 10_000) {
      throw new ConfigException("--time-scale: " + timeScale + " (expected: 1..10000)");
    }
    return new ScalingRules(
        object.minReplicaCount(),
        object.maxReplicaCount(),
        pick(pollingInterval, object.pollingInterval(), timeScale),
        pick(cooldown, object.cooldownPeriod(), timeScale),
        pick(null, object.scaleUpStabilization(), timeScale),
        pick(scaleDownStabilization, object.scaleDownStabilization(), timeScale),
        object.scaleUpPolicies().scaled(timeScale),
        object.scaleDownPolicies().scaled(timeScale),
        object.trigger().value(),
        object.trigger().activationValue(),
        DEFAULT_TOLERANCE);
  }

  /** The HPA's floor: KEDA never gives it a minimum below 1. */
  int hpaMinReplicas() {
    return Math.max(1, minReplicaCount);
  }

  private static Duration pick(Duration override, Duration written, double timeScale) {
    if (override != null) {
      return override;
    }
    return Duration.ofMillis(Math.round(written.toMillis() / timeScale));
  }

  private static void notNegative(String option, Duration value) {
    if (value.isNegative()) {
      throw new ConfigException(option + ": " + value + " (expected: >= 0)");
    }
  }
}
