package dev.ferry.server.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestLimitTest {
  private final AtomicInteger intakeChanges = new AtomicInteger();
  private final AtomicInteger usedUp = new AtomicInteger();
  private final List<Delivery> started = new CopyOnWriteArrayList<>();

  @Test
  void passesEverythingOnWithoutALimit() {
    RequestLimit limit = limit(0);
    Recorded delivery = new Recorded();

    limit.guarding(started::add).accept(delivery.delivery);

    assertThat(started).containsExactly(delivery.delivery);
    assertThat(limit.prefetch(16)).isEqualTo(16);
    assertThat(limit.isTaking()).isTrue();
  }

  @Test
  void asksForAtMostTheRequestsLeft() {
    assertThat(limit(1).prefetch(16)).isEqualTo(1);
    assertThat(limit(100).prefetch(16)).isEqualTo(16);
    assertThat(limit(2).prefetch(0)).isZero(); // A circuit is open.
  }

  @Test
  void returnsDeliveriesBeyondTheLimitUnstartedAndStopsTheIntake() {
    RequestLimit limit = limit(2);
    var guarded = limit.guarding(started::add);
    Recorded first = new Recorded();
    Recorded second = new Recorded();
    Recorded extra = new Recorded();

    guarded.accept(first.delivery);
    assertThat(intakeChanges).hasValue(0);
    guarded.accept(second.delivery);
    assertThat(intakeChanges).hasValue(1);
    assertThat(limit.prefetch(16)).isZero();
    assertThat(limit.isTaking()).isFalse();
    guarded.accept(extra.delivery);

    assertThat(started).hasSize(2);
    assertThat(extra.requeued).hasValue(1);
    assertThat(extra.acked).hasValue(0);
    assertThat(limit.used()).isZero();
  }

  @Test
  void stopsOnceEveryRequestTakenIsAcked() {
    RequestLimit limit = limit(2);
    var guarded = limit.guarding(started::add);
    guarded.accept(new Recorded().delivery);
    guarded.accept(new Recorded().delivery);

    started.get(0).ack();
    assertThat(usedUp).hasValue(0);
    started.get(1).ack();
    started.get(1).ack(); // Settled once only.

    assertThat(usedUp).hasValue(1);
    assertThat(limit.used()).isEqualTo(2);
  }

  @Test
  void aRequestHandedBackFreesItsPlace() {
    RequestLimit limit = limit(1);
    var guarded = limit.guarding(started::add);
    Recorded handedBack = new Recorded();
    guarded.accept(handedBack.delivery);

    started.get(0).requeue();

    assertThat(handedBack.requeued).hasValue(1);
    assertThat(intakeChanges).hasValue(2); // Stopped, then resumed.
    assertThat(limit.prefetch(16)).isEqualTo(1);
    assertThat(limit.isTaking()).isTrue();
    assertThat(usedUp).hasValue(0);
    Recorded next = new Recorded();
    guarded.accept(next.delivery);
    started.get(1).ack();
    assertThat(next.acked).hasValue(1);
    assertThat(usedUp).hasValue(1);
  }

  @Test
  void rejectsANegativeLimit() {
    assertThatThrownBy(() -> limit(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  private RequestLimit limit(int max) {
    return new RequestLimit(max, intakeChanges::incrementAndGet, usedUp::incrementAndGet);
  }

  /** A delivery that records how it was settled. */
  private static final class Recorded {
    final AtomicInteger acked = new AtomicInteger();
    final AtomicInteger requeued = new AtomicInteger();
    final Delivery delivery =
        new Delivery(
            new AMQP.BasicProperties(),
            new byte[0],
            false,
            System.currentTimeMillis(),
            new Delivery.Settler() {
              @Override
              public void ack() {
                acked.incrementAndGet();
              }

              @Override
              public void requeue() {
                requeued.incrementAndGet();
              }
            });
  }
}
