package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfirmTrackerTest {
  private final List<Long> latencies = new ArrayList<>();
  private final ConfirmTracker<String> tracker = new ConfirmTracker<>(latencies::add);

  @Test
  void settlesOneOrManyAndReportsEachLatency() {
    tracker.put(1, "a");
    tracker.put(2, "b");
    tracker.put(3, "c");

    assertThat(tracker.take(2, false)).containsExactly("b");
    assertThat(tracker.take(3, true)).containsExactly("a", "c");
    assertThat(tracker.size()).isZero();
    assertThat(latencies).hasSize(3).allMatch(nanos -> nanos >= 0);
  }

  @Test
  void reportsNoLatencyForWhatNeverReachedTheBroker() {
    tracker.put(1, "a");
    tracker.put(2, "b");

    assertThat(tracker.remove(1)).isEqualTo("a");
    assertThat(tracker.remove(1)).isNull();
    assertThat(tracker.takeAll()).containsExactly("b");
    assertThat(tracker.take(5, true)).isEmpty();
    assertThat(latencies).isEmpty();
  }
}
