package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({
    "1500ms, 1500",
    "0ms, 0",
    "5s, 5000",
    "2m, 120000",
    "1h, 3600000",
    "' 30s ', 30000",
    "007s, 7000",
    "999999999999ms, 999999999999",
  })
  void parsesAWholeNumberAndAUnit(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "5",
        "ms",
        "5 s",
        "5S",
        "5MS",
        "-5s",
        "+5s",
        "1.5s",
        "5sec",
        "1d",
        "5s5ms",
        "PT5S",
        "1000000000000ms"
      })
  void rejectsOtherFormsNamingTheExpectedForm(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'"
                + text
                + "' is not a duration (expected: a whole number and ms, s, m or h, e.g."
                + " 1500ms, 5s, 2m)");
  }

  @Test
  void formatsInMillisecondsTheWayItParses() {
    assertThat(Durations.format(Duration.ofSeconds(2))).isEqualTo("2000ms");
    assertThat(Durations.format(Duration.ofMillis(1))).isEqualTo("1ms");
    Duration budget = Duration.ofMillis(28_517);
    assertThat(Durations.parse(Durations.format(budget))).isEqualTo(budget);
  }
}
