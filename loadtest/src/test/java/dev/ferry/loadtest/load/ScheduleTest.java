package dev.ferry.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScheduleTest {
  @Test
  void spacesIntendedTimesEvenlyFromTheStart() {
    Schedule schedule = new Schedule(1_000, 4);

    assertThat(schedule.intendedNanos(0)).isEqualTo(1_000);
    assertThat(schedule.intendedNanos(1)).isEqualTo(1_000 + 250_000_000L);
    assertThat(schedule.intendedNanos(4)).isEqualTo(1_000 + 1_000_000_000L);
  }

  @Test
  void intendedTimesDoNotDriftOverLongRunsAtFractionalIntervals() {
    Schedule schedule = new Schedule(0, 3); // 333.33 ms apart: rounding must not accumulate

    assertThat(schedule.intendedNanos(3_000_000)).isEqualTo(1_000_000L * 1_000_000_000L);
    assertThat(schedule.intendedNanos(1)).isEqualTo(333_333_333L);
    assertThat(schedule.intendedNanos(2)).isEqualTo(666_666_667L);
  }

  @Test
  void countsRequestsDueByAGivenTimeIncludingOneExactlyAtIt() {
    Schedule schedule = new Schedule(500, 1_000); // one a millisecond

    assertThat(schedule.dueBy(499)).isZero();
    assertThat(schedule.dueBy(500)).isEqualTo(1);
    assertThat(schedule.dueBy(500 + 999_999)).isEqualTo(1);
    assertThat(schedule.dueBy(500 + 1_000_000)).isEqualTo(2);
    assertThat(schedule.dueBy(500 + 1_000_000_000L)).isEqualTo(1_001);
  }

  @Test
  void refusesARateThatIsNotPositive() {
    assertThatThrownBy(() -> new Schedule(0, 0)).hasMessageContaining("rate");
    assertThatThrownBy(() -> new Schedule(0, Double.NaN)).hasMessageContaining("rate");
  }
}
