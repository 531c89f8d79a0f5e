package dev.ferry.server.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import dev.ferry.server.amqp.Delivery;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A delivery ends once, however many callbacks try to end it. */
class SettlementTest {
  private final List<String> settled = new ArrayList<>();
  private final InFlight inFlight = new InFlight();

  @Test
  void acksOnceAndIgnoresLaterEnds() {
    Settlement settlement = enter();

    settlement.ack();
    settlement.requeue();
    settlement.ack();

    assertThat(settled).containsExactly("ack");
    assertThat(inFlight.count()).isZero();
  }

  @Test
  void requeuesOnceAndIgnoresLaterEnds() {
    Settlement settlement = enter();
    Settlement other = enter();

    settlement.requeue();
    settlement.ack();

    assertThat(settled).containsExactly("requeue");
    assertThat(inFlight.count()).isEqualTo(1);
    other.ack();
    assertThat(inFlight.count()).isZero();
  }

  private Settlement enter() {
    inFlight.enter();
    Delivery delivery =
        new Delivery(
            new AMQP.BasicProperties(),
            new byte[0],
            false,
            0,
            new Delivery.Settler() {
              @Override
              public void ack() {
                settled.add("ack");
              }

              @Override
              public void requeue() {
                settled.add("requeue");
              }
            });
    return new Settlement(delivery, inFlight);
  }
}
