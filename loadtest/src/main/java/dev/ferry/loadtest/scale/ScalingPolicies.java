package dev.ferry.loadtest.scale;

import dev.ferry.common.Cli.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One direction of the HPA's rate limit ({@code behavior.scaleUp} or {@code behavior.scaleDown}:
 * {@code policies} and {@code selectPolicy}). Each policy bounds the change within its period,
 * relative to the count at the period's start: {@code Pods} by {@code value} pods, {@code Percent}
 * by {@code value}% (up: rounded up; down: rounded down). {@code Max} (the default) takes the
 * policy that allows the biggest change, {@code Min} the smallest, {@code Disabled} allows none.
 * The HPA's defaults (<a
 * href="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#default-behavior">default
 * behavior</a>): up, the more of 100% and 4 pods per 15 s; down, 100% per 15 s.
 *
 * @param selectPolicy {@code Max}, {@code Min} or {@code Disabled}
 * @param policies at least one unless disabled
 */
record ScalingPolicies(String selectPolicy, List<Policy> policies) {
  static final ScalingPolicies DEFAULT_UP =
      new ScalingPolicies(
          "Max",
          List.of(
              new Policy("Percent", 100, Duration.ofSeconds(15)),
              new Policy("Pods", 4, Duration.ofSeconds(15))));
  static final ScalingPolicies DEFAULT_DOWN =
      new ScalingPolicies("Max", List.of(new Policy("Percent", 100, Duration.ofSeconds(15))));

  /**
   * One policy.
   *
   * @param type {@code Pods} or {@code Percent}
   * @param value pods or percent, more than 0
   * @param period {@code periodSeconds}, more than 0
   */
  record Policy(String type, int value, Duration period) {
    Policy {
      if (!List.of("Pods", "Percent").contains(type)
          || value <= 0
          || period.isNegative()
          || period.isZero()) {
        throw new ConfigException(
            "scaling policy: type "
                + type
                + ", value "
                + value
                + ", period "
                + period
                + " (expected: type Pods or Percent, value and periodSeconds > 0)");
      }
    }

    /** The most pods it allows given the count at the start of its period. */
    int up(int periodStart) {
      return "Pods".equals(type)
          ? periodStart + value
          : (int) Math.ceil(periodStart * (1 + value / 100.0));
    }

    /** The fewest pods it allows given the count at the start of its period. */
    int down(int periodStart) {
      return "Pods".equals(type)
          ? periodStart - value
          : (int) Math.floor(periodStart * (1 - value / 100.0));
    }

    @Override
    public String toString() {
      return value + ("Pods".equals(type) ? " pods" : "%") + "/" + ScaleConfig.human(period);
    }
  }

  ScalingPolicies {
    policies = List.copyOf(policies);
    if (!List.of("Max", "Min", "Disabled").contains(selectPolicy)
        || (policies.isEmpty() && !"Disabled".equals(selectPolicy))) {
      throw new ConfigException(
          "selectPolicy "
              + selectPolicy
              + " with "
              + policies.size()
              + " policies (expected: Max, Min or Disabled, and a policy unless Disabled)");
    }
  }

  /** These policies with their periods divided by {@code timeScale}. */
  ScalingPolicies scaled(double timeScale) {
    return new ScalingPolicies(
        selectPolicy,
        policies.stream()
            .map(
                policy ->
                    new Policy(
                        policy.type(),
                        policy.value(),
                        Duration.ofMillis(
                            Math.max(1, Math.round(policy.period().toMillis() / timeScale)))))
            .toList());
  }

  boolean disabled() {
    return "Disabled".equals(selectPolicy);
  }

  /** Whether {@code Max}: the policy allowing the biggest change wins. */
  boolean biggestChange() {
    return "Max".equals(selectPolicy);
  }

  /** The longest period, for how long scale events must be remembered. */
  Duration longestPeriod() {
    return policies.stream().map(Policy::period).max(Duration::compareTo).orElse(Duration.ZERO);
  }

  /** {@code Max of 100%/15s, 4 pods/15s}, or {@code Disabled}. */
  @Override
  public String toString() {
    if (disabled()) {
      return "Disabled";
    }
    return selectPolicy
        + " of "
        + policies.stream().map(Policy::toString).collect(Collectors.joining(", "));
  }
}
