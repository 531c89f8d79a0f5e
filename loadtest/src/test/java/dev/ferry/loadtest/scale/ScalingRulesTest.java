package dev.ferry.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.common.Cli.ConfigException;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The manifest's numbers, compressed in time for a short run. */
class ScalingRulesTest {
  @Test
  void dividesTheManifestsDurationsByTheTimeScale() throws IOException {
    ScaledObject object = ScaledObject.parse(ScaledObjectTest.fixture(), "fixture");

    ScalingRules rules = ScalingRules.of(object, 10, null, null, null);

    assertThat(rules.pollingInterval()).isEqualTo(Duration.ofMillis(1500));
    assertThat(rules.cooldownPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(rules.scaleDownStabilization()).isEqualTo(Duration.ofSeconds(12));
    assertThat(rules.targetValue()).isEqualTo(16);
    assertThat(rules.maxReplicaCount()).isEqualTo(10);
    assertThat(rules.hpaMinReplicas()).isEqualTo(1);
  }

  @Test
  void explicitDurationsWinOverTheTimeScale() throws IOException {
    ScaledObject object = ScaledObject.parse(ScaledObjectTest.fixture(), "fixture");

    ScalingRules rules =
        ScalingRules.of(
            object, 10, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(3));

    assertThat(rules.pollingInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(rules.cooldownPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(rules.scaleDownStabilization()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void refusesATimeScaleBelowOneAndAZeroPollingInterval() throws IOException {
    ScaledObject object = ScaledObject.parse(ScaledObjectTest.fixture(), "fixture");

    assertThatThrownBy(() -> ScalingRules.of(object, 0.5, null, null, null))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--time-scale: 0.5");
    assertThatThrownBy(() -> ScalingRules.of(object, 1, Duration.ZERO, null, null))
        .hasMessageStartingWith("--polling-interval");
  }
}
