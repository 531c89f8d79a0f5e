package dev.ferry.loadtest.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.common.Cli.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadPatternTest {
  @Test
  void parsesPhasesWithAndWithoutRates() {
    LoadPattern pattern = LoadPattern.parse("idle:10s,burst:20s@40/s,idle:1500ms");

    assertThat(pattern.phases())
        .containsExactly(
            new LoadPattern.Phase("idle", Duration.ofSeconds(10), 0),
            new LoadPattern.Phase("burst", Duration.ofSeconds(20), 40),
            new LoadPattern.Phase("idle", Duration.ofMillis(1500), 0));
    assertThat(pattern.duration()).isEqualTo(Duration.ofMillis(31_500));
    assertThat(pattern.requests()).isEqualTo(800);
    assertThat(pattern).hasToString("idle:10s,burst:20s@40/s,idle:1500ms");
    assertThat(LoadPattern.parse("warm:1m@5").phases().get(0).rate()).isEqualTo(5);
  }

  @Test
  void findsThePhaseAtATime() {
    LoadPattern pattern = LoadPattern.parse("idle:2s,burst:10s@40/s,cool:3s");

    assertThat(pattern.phaseAt(Duration.ZERO).name()).isEqualTo("idle");
    assertThat(pattern.phaseAt(Duration.ofMillis(1999)).name()).isEqualTo("idle");
    assertThat(pattern.phaseAt(Duration.ofSeconds(2)).name()).isEqualTo("burst");
    assertThat(pattern.phaseAt(Duration.ofSeconds(14)).name()).isEqualTo("cool");
    assertThat(pattern.phaseAt(Duration.ofSeconds(99)).name()).isEqualTo("cool");
  }

  @Test
  void refusesMalformedPhasesNamingThem() {
    assertThatThrownBy(() -> LoadPattern.parse("idle:10s,burst:20s@fast"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("--pattern: 'burst:20s@fast' (expected: NAME:DURATION[@RATE/s]");
    assertThatThrownBy(() -> LoadPattern.parse("burst:1s@9000/s"))
        .hasMessageContaining("rate 9000");
    assertThatThrownBy(() -> LoadPattern.parse("idle:0s")).hasMessageContaining("empty");
    assertThatThrownBy(() -> LoadPattern.parse("")).hasMessageContaining("--pattern: ''");
  }
}
