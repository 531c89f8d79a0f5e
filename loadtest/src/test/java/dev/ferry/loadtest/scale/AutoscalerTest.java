package dev.ferry.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.loadtest.scale.Decision.Reason;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** KEDA's and the HPA's rules, one poll at a time, on a clock the test moves. */
class AutoscalerTest {
  private final FakeClock clock = new FakeClock();

  @Test
  void staysAtZeroWhileTheQueueIsNotAboveTheActivationValue() {
    Autoscaler autoscaler = new Autoscaler(rules(0, 10, 0, 3), clock);

    assertThat(autoscaler.poll(0).reason()).isEqualTo(Reason.IDLE);
    clock.advance(1);
    Decision decision = autoscaler.poll(3);

    assertThat(decision.to()).isZero();
    assertThat(decision.active()).isFalse();
    assertThat(decision.recommendation()).isEqualTo(-1);
  }

  @Test
  void activatesToOneReplicaAboveTheActivationValueWhateverTheQueueLength() {
    Autoscaler autoscaler = new Autoscaler(rules(0, 10, 0), clock);

    Decision decision = autoscaler.poll(500);

    assertThat(decision.reason()).isEqualTo(Reason.ACTIVATE);
    assertThat(decision.from()).isZero();
    assertThat(decision.to()).isEqualTo(1);
  }

  @Test
  void thenTheHpaWantsTheCeilingOfQueueLengthOverValue() {
    Autoscaler autoscaler = active(rules(0, 10, 0));

    clock.advance(1);
    Decision decision = autoscaler.poll(45);

    assertThat(decision.reason()).isEqualTo(Reason.HPA);
    assertThat(decision.recommendation()).isEqualTo(3); // ceil(45 / 16)
    assertThat(decision.to()).isEqualTo(3);
  }

  @Test
  void clampsToMaxReplicaCountAndToOneWhileNotScaledToZero() {
    Autoscaler autoscaler = active(rules(0, 4, 0));

    clock.advance(1);
    Decision up = autoscaler.poll(1000);
    clock.advance(1);
    Decision down = autoscaler.poll(0);

    assertThat(up.recommendation()).isEqualTo(63);
    assertThat(up.to()).isEqualTo(4);
    assertThat(down.recommendation()).isZero();
    assertThat(down.to()).isEqualTo(1); // No stabilization window here; zero is KEDA's to decide.
  }

  @Test
  void keepsTheCountWithinTheHpaTolerance() {
    Autoscaler autoscaler = active(rules(0, 10, 0));
    clock.advance(1);
    assertThat(autoscaler.poll(32).to()).isEqualTo(2);

    clock.advance(1);
    Decision within = autoscaler.poll(35); // 35 / 32 = 1.09: within 10%.
    clock.advance(1);
    Decision beyond = autoscaler.poll(36); // 1.125

    assertThat(within.recommendation()).isEqualTo(2);
    assertThat(within.changed()).isFalse();
    assertThat(beyond.to()).isEqualTo(3);
  }

  @Test
  void scalesDownOnlyToTheHighestRecommendationOfTheStabilizationWindow() {
    Autoscaler autoscaler = active(rules(0, 10, 10));
    clock.advance(1);
    assertThat(autoscaler.poll(64).to()).isEqualTo(4); // t=1: recommends 4
    clock.advance(2);
    assertThat(autoscaler.poll(40).to()).isEqualTo(4); // t=3: recommends 3, held at 4

    clock.advance(5);
    Decision held = autoscaler.poll(1); // t=8: recommends 1, window (t>-2) still has 4
    clock.advance(3);
    Decision partly = autoscaler.poll(1); // t=11: window (t>1) has 3 and 1
    clock.advance(2);
    Decision free = autoscaler.poll(1); // t=13: window (t>3) has only 1s

    assertThat(held.reason()).isEqualTo(Reason.STABILIZED);
    assertThat(held.to()).isEqualTo(4);
    assertThat(partly.reason()).isEqualTo(Reason.STABILIZED);
    assertThat(partly.to()).isEqualTo(3);
    assertThat(free.reason()).isEqualTo(Reason.HPA);
    assertThat(free.to()).isEqualTo(1);
  }

  @Test
  void scalesUpAtOnceWithoutAScaleUpWindow() {
    Autoscaler autoscaler = active(rules(0, 10, 300));
    clock.advance(1);
    autoscaler.poll(16);

    clock.advance(1);
    assertThat(autoscaler.poll(64).to()).isEqualTo(4);
  }

  @Test
  void limitsAScaleUpToTheDefaultPoliciesPerPeriod() {
    Autoscaler autoscaler = active(rules(0, 20, 0)); // 100% or 4 pods per 15s, the more

    clock.advance(1);
    Decision first = autoscaler.poll(320); // wants 20: 1 + 4 allowed
    clock.advance(1);
    Decision second = autoscaler.poll(320); // the period still started at 1
    clock.advance(15);
    Decision later = autoscaler.poll(320); // t=17: the +4 of t=1 is out of the period

    assertThat(first.reason()).isEqualTo(Reason.LIMITED);
    assertThat(first.recommendation()).isEqualTo(20);
    assertThat(first.to()).isEqualTo(5);
    assertThat(second.to()).isEqualTo(5);
    assertThat(later.to()).isEqualTo(10); // 5 doubled
  }

  @Test
  void minSelectsTheLeastPermissivePolicyAndDisabledNeverScalesUp() {
    Duration period = Duration.ofSeconds(15);
    Autoscaler min =
        active(
            rules(
                new ScalingPolicies(
                    "Min",
                    List.of(
                        new ScalingPolicies.Policy("Pods", 1, period),
                        new ScalingPolicies.Policy("Percent", 100, period)))));
    Autoscaler disabled = active(rules(new ScalingPolicies("Disabled", List.of())));

    clock.advance(1);

    assertThat(min.poll(160).to()).isEqualTo(2);
    assertThat(disabled.poll(160).to()).isEqualTo(1);
  }

  @Test
  void scalesUpOnlyToTheLowestRecommendationOfAScaleUpWindow() {
    ScalingRules rules =
        new ScalingRules(
            0,
            10,
            Duration.ofSeconds(1),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Duration.ZERO,
            new ScalingPolicies(
                "Max", List.of(new ScalingPolicies.Policy("Pods", 100, Duration.ofSeconds(15)))),
            ScalingPolicies.DEFAULT_DOWN,
            16,
            0,
            ScalingRules.DEFAULT_TOLERANCE);
    Autoscaler autoscaler = active(rules);
    clock.advance(1);
    assertThat(autoscaler.poll(20).to()).isEqualTo(2);

    clock.advance(1);
    Decision held = autoscaler.poll(100); // recommends 7; the window's lowest is 2
    clock.advance(5);
    Decision later = autoscaler.poll(100); // t=7: window (t>2) has only 7s

    assertThat(held.to()).isEqualTo(2);
    assertThat(later.to()).isEqualTo(7);
  }

  @Test
  void scalesToZeroOnlyOnceTheCooldownHasPassedSinceTheLastActivePoll() {
    Autoscaler autoscaler = active(rules(0, 10, 0)); // active at t=0, cooldown 30s

    clock.advance(10);
    assertThat(autoscaler.poll(0).to()).isEqualTo(1);
    clock.advance(20);
    Decision atCooldown = autoscaler.poll(0); // t=30: not after lastActive + 30s yet
    clock.advance(1);
    Decision after = autoscaler.poll(0);

    assertThat(atCooldown.to()).isEqualTo(1);
    assertThat(after.reason()).isEqualTo(Reason.TO_ZERO);
    assertThat(after.to()).isZero();
    assertThat(autoscaler.replicas()).isZero();
  }

  @Test
  void anActivePollDuringTheCooldownStartsItAgain() {
    Autoscaler autoscaler = active(rules(0, 10, 0));
    clock.advance(20);
    autoscaler.poll(5); // active again at t=20

    clock.advance(25);
    Decision cooling = autoscaler.poll(0); // t=45: 25s after the last active poll
    clock.advance(6);
    Decision zero = autoscaler.poll(0); // t=51

    assertThat(cooling.to()).isEqualTo(1);
    assertThat(zero.to()).isZero();
  }

  @Test
  void scalesToZeroDespiteTheStabilizationWindow() {
    Autoscaler autoscaler = active(rules(0, 10, 300));
    clock.advance(1);
    assertThat(autoscaler.poll(64).to()).isEqualTo(4);

    clock.advance(31);
    Decision decision = autoscaler.poll(0);

    assertThat(decision.reason()).isEqualTo(Reason.TO_ZERO);
    assertThat(decision.from()).isEqualTo(4);
    assertThat(decision.to()).isZero();
  }

  @Test
  void neverGoesBelowAMinReplicaCountAboveZero() {
    Autoscaler autoscaler = new Autoscaler(rules(2, 10, 0), clock);

    Decision first = autoscaler.poll(0);
    clock.advance(60);
    Decision later = autoscaler.poll(0);

    assertThat(first.reason()).isEqualTo(Reason.MINIMUM);
    assertThat(first.to()).isEqualTo(2);
    assertThat(later.to()).isEqualTo(2);
  }

  @Test
  void limitsAScaleDownToItsPolicies() {
    ScalingPolicies halfPerMinute =
        new ScalingPolicies(
            "Max", List.of(new ScalingPolicies.Policy("Percent", 50, Duration.ofSeconds(60))));
    ScalingRules rules =
        new ScalingRules(
            0,
            10,
            Duration.ofSeconds(1),
            Duration.ofSeconds(300),
            Duration.ZERO,
            Duration.ZERO,
            ScalingPolicies.DEFAULT_UP,
            halfPerMinute,
            16,
            0,
            ScalingRules.DEFAULT_TOLERANCE);
    Autoscaler autoscaler = active(rules);
    clock.advance(1);
    assertThat(autoscaler.poll(80).to()).isEqualTo(5); // t=1
    clock.advance(61);
    assertThat(autoscaler.poll(80).to()).isEqualTo(5); // t=62: the +4 is out of the period

    clock.advance(1);
    Decision half = autoscaler.poll(1); // wants 1; half of the period's 5 may go
    clock.advance(30);
    Decision same = autoscaler.poll(1); // t=93: the period (t>33) started with 5 still
    clock.advance(31);
    Decision rest = autoscaler.poll(1); // t=124: it (t>64) started with 2

    assertThat(half.reason()).isEqualTo(Reason.LIMITED);
    assertThat(half.recommendation()).isEqualTo(1);
    assertThat(half.to()).isEqualTo(2); // floor(5 * 0.5)
    assertThat(same.to()).isEqualTo(2);
    assertThat(rest.reason()).isEqualTo(Reason.HPA);
    assertThat(rest.to()).isEqualTo(1);
  }

  /** An autoscaler the test has just activated (to 1 replica) at the clock's time. */
  private Autoscaler active(ScalingRules rules) {
    Autoscaler autoscaler = new Autoscaler(rules, clock);
    assertThat(autoscaler.poll(1).to()).isEqualTo(1);
    return autoscaler;
  }

  /** Value 16, activation above 0, polling 1s, cooldown 30s, no scale-up window. */
  private static ScalingRules rules(int min, int max, int scaleDownWindowSeconds) {
    return rules(min, max, scaleDownWindowSeconds, 0);
  }

  private static ScalingRules rules(ScalingPolicies policies) {
    return new ScalingRules(
        0,
        10,
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Duration.ZERO,
        Duration.ZERO,
        policies,
        ScalingPolicies.DEFAULT_DOWN,
        16,
        0,
        ScalingRules.DEFAULT_TOLERANCE);
  }

  /** As above, the HPA's default scale-up policies. */
  private static ScalingRules rules(
      int min, int max, int scaleDownWindowSeconds, double activationValue) {
    return new ScalingRules(
        min,
        max,
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Duration.ZERO,
        Duration.ofSeconds(scaleDownWindowSeconds),
        ScalingPolicies.DEFAULT_UP,
        ScalingPolicies.DEFAULT_DOWN,
        16,
        activationValue,
        ScalingRules.DEFAULT_TOLERANCE);
  }

  /** A clock that moves only when told. */
  private static final class FakeClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(long seconds) {
      now = now.plusSeconds(seconds);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
