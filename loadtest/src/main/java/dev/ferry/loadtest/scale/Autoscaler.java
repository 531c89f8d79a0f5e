package dev.ferry.loadtest.scale;

import dev.ferry.loadtest.scale.Decision.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * KEDA and the Kubernetes HPA deciding a Deployment's replica count from a RabbitMQ trigger in
 * {@code mode: QueueLength}, one poll at a time. Pure: the caller reads the queue length every
 * {@code pollingInterval} and applies {@link Decision#to()}; time comes from the injected {@link
 * Clock}. Starts at zero replicas. Not thread-safe (one poller).
 *
 * <p>The rules, as documented and as KEDA's scale executor and the HPA controller implement them:
 *
 * <ol>
 *   <li>Every {@code pollingInterval} KEDA reads the metric; the trigger is <em>active</em> when
 *       the metric is above {@code activationValue} (<a
 *       href="https://keda.sh/docs/latest/concepts/scaling-deployments/#activating-and-scaling-thresholds">activating
 *       and scaling thresholds</a>). Each active poll is the new "last active time".
 *   <li>At zero replicas KEDA alone decides: active scales to {@code max(1, minReplicaCount)}, else
 *       zero stays zero; the HPA does nothing at zero (<a
 *       href="https://keda.sh/docs/latest/reference/scaledobject-spec/#minreplicacount">minReplicaCount</a>).
 *   <li>Above zero, with {@code minReplicaCount: 0}, KEDA scales to zero once the trigger has not
 *       been active for {@code cooldownPeriod} since the last active poll (<a
 *       href="https://keda.sh/docs/latest/reference/scaledobject-spec/#cooldownperiod">cooldownPeriod</a>),
 *       whatever the HPA recommends.
 *   <li>Otherwise the HPA decides (<a
 *       href="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details">algorithm
 *       details</a>), KEDA feeding it the queue length as an external metric with target average
 *       {@code value} (<a href="https://keda.sh/docs/latest/scalers/rabbitmq-queue/">RabbitMQ
 *       scaler</a>): {@code recommendation = ceil(metric / value)}, unless {@code metric / (value ×
 *       replicas)} is within {@code 1 ± tolerance} (then the current count).
 *   <li>Stabilization (<a
 *       href="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#stabilization-window">stabilization
 *       window</a>): the HPA keeps its recommendations; it scales up at most to the lowest
 *       recommendation of the scale-up window, and down at most to the highest of the scale-down
 *       window ({@code
 *       spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds},
 *       default 300 s).
 *   <li>The change is limited by the scaling policies ({@link ScalingPolicies}; by default up to
 *       double or 4 pods more than 15 s before, and down to any count), relative to the count at
 *       the start of each policy's period, which the HPA's own changes since tell (<a
 *       href="https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-policies">scaling
 *       policies</a>).
 *   <li>The result is clamped to {@code [max(1, minReplicaCount), maxReplicaCount]} (KEDA gives the
 *       HPA a minimum of at least 1; <a
 *       href="https://keda.sh/docs/latest/reference/scaledobject-spec/#maxreplicacount">maxReplicaCount</a>).
 * </ol>
 *
 * <p>Simplified: the HPA is evaluated at KEDA's polls (its own sync period is 15 s), and its
 * recommendations and scale events are forgotten at zero replicas.
 */
final class Autoscaler {
  private final ScalingRules rules;
  private final Clock clock;

  /** The HPA's unstabilized recommendations, oldest first, within the longer window. */
  private final Deque<Recommendation> recommendations = new ArrayDeque<>();

  /** The HPA's own changes (+ up, - down), oldest first, within the longest policy period. */
  private final Deque<ScaleEvent> events = new ArrayDeque<>();

  private int replicas;
  private Instant lastActive;

  Autoscaler(ScalingRules rules, Clock clock) {
    this.rules = rules;
    this.clock = clock;
  }

  /** The replica count decided by the last poll (0 before the first). */
  int replicas() {
    return replicas;
  }

  /** Decides the replica count for the queue length {@code metric}, read now. */
  Decision poll(long metric) {
    Instant now = clock.instant();
    boolean active = metric > rules.activationValue();
    if (active) {
      lastActive = now;
    }
    Decision decision;
    if (replicas < rules.minReplicaCount()) {
      decision = keda(now, metric, active, rules.minReplicaCount(), Reason.MINIMUM);
    } else if (replicas == 0) {
      decision =
          active
              ? keda(now, metric, true, rules.hpaMinReplicas(), Reason.ACTIVATE)
              : keda(now, metric, false, 0, Reason.IDLE);
    } else if (!active && rules.minReplicaCount() == 0 && cooledDown(now)) {
      recommendations.clear();
      events.clear();
      decision = keda(now, metric, false, 0, Reason.TO_ZERO);
    } else {
      decision = hpa(now, metric, active);
    }
    replicas = decision.to();
    return decision;
  }

  private Decision keda(Instant now, long metric, boolean active, int to, Reason reason) {
    return new Decision(now, metric, active, replicas, -1, to, reason);
  }

  /** KEDA: {@code lastActiveTime + cooldownPeriod} is before now (never active: at once). */
  private boolean cooledDown(Instant now) {
    return lastActive == null || lastActive.plus(rules.cooldownPeriod()).isBefore(now);
  }

  private Decision hpa(Instant now, long metric, boolean active) {
    int recommendation = recommend(metric);
    int stabilized = stabilize(now, recommendation);
    int min = rules.hpaMinReplicas();
    int max = rules.maxReplicaCount();
    int unlimited = clamp(stabilized, min, max);
    int to = unlimited;
    forgetOldEvents(now);
    if (stabilized > replicas) {
      to = clamp(stabilized, min, Math.min(max, Math.max(replicas, scaleUpLimit(now))));
    } else if (stabilized < replicas) {
      to = clamp(stabilized, Math.max(min, Math.min(replicas, scaleDownLimit(now))), max);
    }
    Reason reason = Reason.HPA;
    if (to != unlimited) {
      reason = Reason.LIMITED;
    } else if (recommendation < replicas && stabilized > Math.max(recommendation, min)) {
      reason = Reason.STABILIZED;
    }
    if (to != replicas) {
      events.addLast(new ScaleEvent(now, to - replicas));
    }
    return new Decision(now, metric, active, replicas, recommendation, to, reason);
  }

  private static int clamp(int value, int low, int high) {
    return Math.max(low, Math.min(high, value));
  }

  /**
   * As the HPA's {@code calculateScaleUpLimitWithScalingRules}: each policy allows a number of pods
   * relative to the count at the start of its period; {@code Max} takes the highest, {@code Min}
   * the lowest.
   */
  private int scaleUpLimit(Instant now) {
    ScalingPolicies policies = rules.scaleUpPolicies();
    if (policies.disabled()) {
      return replicas;
    }
    int limit = policies.biggestChange() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (ScalingPolicies.Policy policy : policies.policies()) {
      int allowed = policy.up(periodStart(now, policy));
      limit = policies.biggestChange() ? Math.max(limit, allowed) : Math.min(limit, allowed);
    }
    return limit;
  }

  /** As the HPA's {@code calculateScaleDownLimitWithBehaviors}: the mirror image. */
  private int scaleDownLimit(Instant now) {
    ScalingPolicies policies = rules.scaleDownPolicies();
    if (policies.disabled()) {
      return replicas;
    }
    int limit = policies.biggestChange() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    for (ScalingPolicies.Policy policy : policies.policies()) {
      int allowed = policy.down(periodStart(now, policy));
      limit = policies.biggestChange() ? Math.min(limit, allowed) : Math.max(limit, allowed);
    }
    return limit;
  }

  /** The count at the start of the policy's period: now's, less the HPA's changes since. */
  private int periodStart(Instant now, ScalingPolicies.Policy policy) {
    Instant cutoff = now.minus(policy.period());
    int changed = 0;
    for (ScaleEvent event : events) {
      if (event.at().isAfter(cutoff)) {
        changed += event.change();
      }
    }
    return replicas - changed;
  }

  private void forgetOldEvents(Instant now) {
    Duration longest =
        max(rules.scaleUpPolicies().longestPeriod(), rules.scaleDownPolicies().longestPeriod());
    while (!events.isEmpty() && !events.getFirst().at().isAfter(now.minus(longest))) {
      events.removeFirst();
    }
  }

  /** {@code ceil(metric / value)}, or the current count within the tolerance. */
  private int recommend(long metric) {
    double ratio = metric / (rules.targetValue() * replicas);
    if (Math.abs(1.0 - ratio) <= rules.tolerance()) {
      return replicas;
    }
    return (int) Math.min(Integer.MAX_VALUE, Math.ceil(metric / rules.targetValue()));
  }

  /**
   * As the HPA's {@code stabilizeRecommendationWithBehaviors}: bounds the current count by the
   * lowest recommendation within the scale-up window and the highest within the scale-down window
   * (the new one included; older ones count when strictly after the window's start), then records
   * the new one.
   */
  private int stabilize(Instant now, int recommendation) {
    Instant upCutoff = now.minus(rules.scaleUpStabilization());
    Instant downCutoff = now.minus(rules.scaleDownStabilization());
    int up = recommendation;
    int down = recommendation;
    for (Recommendation past : recommendations) {
      if (past.at().isAfter(upCutoff)) {
        up = Math.min(up, past.replicas());
      }
      if (past.at().isAfter(downCutoff)) {
        down = Math.max(down, past.replicas());
      }
    }
    int stabilized = Math.min(Math.max(replicas, up), down);
    recommendations.addLast(new Recommendation(now, recommendation));
    Duration longest = max(rules.scaleUpStabilization(), rules.scaleDownStabilization());
    while (!recommendations.getFirst().at().isAfter(now.minus(longest))) {
      recommendations.removeFirst();
      if (recommendations.isEmpty()) {
        break;
      }
    }
    return stabilized;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private record Recommendation(Instant at, int replicas) {}

  private record ScaleEvent(Instant at, int change) {}
}
