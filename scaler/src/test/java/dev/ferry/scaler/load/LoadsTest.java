package dev.ferry.scaler.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.protocol.InstanceStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The load table on a fake clock: readings, reports, expiry, staleness, listeners. */
class LoadsTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Loads loads = new Loads(now::get, Duration.ofSeconds(10));

  @Test
  void knowsNothingUntilTheQueueIsRead() {
    ServiceLoad load = loads.watch("orders");
    loads.report(new InstanceStats("orders", "a", 2, 16, 3_000));

    assertThat(load.metric()).isEmpty();
    assertThat(load.firstReading()).isNotDone();

    load.ready(5);

    assertThat(load.firstReading()).isDone();
    assertThat(load.metric()).hasValue(7);
  }

  @Test
  void countsEachInstanceUntilItsReportExpires() {
    ServiceLoad load = loads.watch("orders");
    load.ready(1);
    loads.report(new InstanceStats("orders", "a", 2, 16, 3_000));
    loads.report(new InstanceStats("orders", "b", 4, 16, 1_000));
    loads.report(new InstanceStats("other", "c", 8, 16, 3_000));

    assertThat(load.metric()).hasValue(7);
    advance(999);
    assertThat(load.metric()).hasValue(7);
    advance(1);
    assertThat(load.metric()).hasValue(3); // b's report expired: b was killed or cut off.
    loads.report(new InstanceStats("orders", "a", 1, 16, 3_000)); // a newer report replaces one
    assertThat(load.metric()).hasValue(2);
    assertThat(load.liveInstances()).isEqualTo(1);
  }

  @Test
  void forgetsAnInstanceAtItsLastReport() {
    ServiceLoad load = loads.watch("orders");
    load.ready(0);
    loads.report(new InstanceStats("orders", "a", 3, 16, 3_000));

    loads.report(new InstanceStats("orders", "a", 0, 16, 0));

    assertThat(load.metric()).hasValue(0);
    assertThat(load.liveInstances()).isZero();
  }

  @Test
  void answersNothingOnceTheReadingIsStale() {
    ServiceLoad load = loads.watch("orders");
    load.ready(3);

    advance(10_001);

    assertThat(load.metric()).isEmpty();
    load.ready(0);
    assertThat(load.metric()).hasValue(0);
  }

  @Test
  void tellsListenersTheCurrentMetricAtOnceAndEachUpdateInOrder() {
    ServiceLoad load = loads.watch("orders");
    List<Long> heard = new ArrayList<>();
    load.listen(heard::add);
    assertThat(heard).isEmpty(); // Nothing known yet.

    load.ready(1);
    loads.report(new InstanceStats("orders", "a", 2, 16, 3_000));
    load.ready(0);
    List<Long> late = new ArrayList<>();
    load.listen(late::add);

    assertThat(heard).containsExactly(1L, 3L, 2L);
    assertThat(late).containsExactly(2L);
  }

  @Test
  void pollsWhatWasAskedAboutUntilIdleAndForgetsWhatNoLongerReports() {
    AtomicInteger newlyWatched = new AtomicInteger();
    loads.onNewlyWatched(newlyWatched::incrementAndGet);
    loads.watch("orders");
    loads.watch("orders");
    loads.report(new InstanceStats("billing", "a", 1, 16, 3_000));

    assertThat(newlyWatched).hasValue(1);
    assertThat(loads.watched()).extracting(ServiceLoad::service).containsExactly("orders");

    advance(Loads.IDLE.toMillis());
    loads.sweep();

    assertThat(loads.watched()).isEmpty();
    assertThat(loads.size()).isZero();
    loads.watch("orders");
    assertThat(newlyWatched).hasValue(2);
  }

  @Test
  void keepsPollingAServiceWhileAStreamListens() {
    ServiceLoad load = loads.watch("orders");
    load.listen(metric -> {});

    advance(Loads.IDLE.toMillis() + 1);
    loads.sweep();

    assertThat(loads.watched()).containsExactly(load);
  }

  private void advance(long millis) {
    now.addAndGet(millis * 1_000_000);
  }
}
