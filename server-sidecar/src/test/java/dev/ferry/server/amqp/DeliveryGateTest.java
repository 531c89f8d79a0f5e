package dev.ferry.server.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeliveryGateTest {
  private final AtomicBoolean blocked = new AtomicBoolean();
  private final AtomicInteger requeued = new AtomicInteger();
  private final List<Delivery> started = new CopyOnWriteArrayList<>();
  private final DeliveryGate gate = new DeliveryGate(blocked::get, started::add);

  @Test
  void handsDeliveriesOnAtOnceWhileTheBrokerDoesNotBlock() {
    Delivery delivery = delivery();

    gate.accept(delivery);

    assertThat(started).containsExactly(delivery);
    assertThat(gate.held()).isZero();
  }

  @Test
  void holdsDeliveriesWhileBlockedAndStartsThemInOrderOnceUnblocked() {
    blocked.set(true);
    Delivery first = delivery();
    Delivery second = delivery();

    gate.accept(first);
    gate.accept(second);
    assertThat(started).isEmpty();
    assertThat(gate.held()).isEqualTo(2);

    blocked.set(false);
    gate.release();

    assertThat(started).containsExactly(first, second);
    assertThat(gate.held()).isZero();
  }

  @Test
  void dropsHeldDeliveriesWhenTheConnectionIsLostSettlingThemForTheirCount() {
    blocked.set(true);
    gate.accept(delivery());

    gate.discard(); // The broker requeued them with the old connection.
    blocked.set(false);
    gate.release();

    assertThat(started).isEmpty();
    assertThat(requeued).hasValue(1);
  }

  private Delivery delivery() {
    return new Delivery(
        new AMQP.BasicProperties(),
        new byte[0],
        false,
        System.currentTimeMillis(),
        new Delivery.Settler() {
          @Override
          public void ack() {}

          @Override
          public void requeue() {
            requeued.incrementAndGet();
          }
        });
  }
}
