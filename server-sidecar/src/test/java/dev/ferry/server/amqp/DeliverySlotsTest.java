package dev.ferry.server.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class DeliverySlotsTest {
  private final List<Delivery> started = new CopyOnWriteArrayList<>();
  private final List<String> settled = new CopyOnWriteArrayList<>();
  private final List<Runnable> handOffs = new CopyOnWriteArrayList<>();
  private final DeliverySlots slots = new DeliverySlots(2, handOffs::add, started::add);

  @Test
  void handsOnAtMostItsSizeUnsettledAndTheOthersInOrderAsPlacesFreeUp() {
    for (int i = 0; i < 4; i++) {
      slots.accept(null, delivery("d" + i));
    }
    assertThat(names(started)).containsExactly("d0", "d1");
    assertThat(slots.waiting()).isEqualTo(2);

    started.get(0).ack();
    assertThat(names(started)).as("not on the settling thread").hasSize(2);
    runHandOffs();

    assertThat(names(started)).containsExactly("d0", "d1", "d2");
    assertThat(settled).containsExactly("ack d0");
    assertThat(slots.taken()).isEqualTo(2);
    started.get(1).requeue();
    started.get(2).ack();
    runHandOffs();
    assertThat(names(started)).containsExactly("d0", "d1", "d2", "d3");
    started.get(3).ack();
    assertThat(slots.taken()).isZero();
    assertThat(slots.waiting()).isZero();
  }

  @Test
  void freesAPlaceOnceHoweverOftenADeliveryIsSettled() {
    slots.accept(null, delivery("d0"));
    slots.accept(null, delivery("d1"));
    slots.accept(null, delivery("d2"));

    started.get(0).ack();
    started.get(0).ack();
    started.get(0).requeue();
    runHandOffs();

    assertThat(names(started)).containsExactly("d0", "d1", "d2");
    assertThat(settled).containsExactly("ack d0");
    assertThat(slots.taken()).isEqualTo(2);
  }

  @Test
  void returnsTheWaitingOnStopAndThenWhatFindsNoPlace() {
    slots.accept(null, delivery("d0"));
    slots.accept(null, delivery("d1"));
    slots.accept(null, delivery("waiting"));

    slots.stop();
    slots.accept(null, delivery("late"));

    assertThat(settled).containsExactly("requeue waiting", "requeue late");
    started.get(0).ack();
    slots.accept(null, delivery("in a free place"));
    assertThat(names(started)).containsExactly("d0", "d1", "in a free place");
  }

  @Test
  void returnsAWaitingDeliveryWhenItCannotBeHandedOn() {
    Executor closed =
        task -> {
          throw new RejectedExecutionException("closed");
        };
    DeliverySlots closing = new DeliverySlots(1, closed, started::add);
    closing.accept(null, delivery("d0"));
    closing.accept(null, delivery("d1"));
    closing.accept(null, delivery("d2"));

    started.get(0).ack();

    assertThat(settled).containsExactly("ack d0", "requeue d1", "requeue d2");
    assertThat(closing.taken()).isZero();
    assertThat(closing.waiting()).isZero();
  }

  private void runHandOffs() {
    while (!handOffs.isEmpty()) {
      handOffs.remove(0).run();
    }
  }

  private static List<String> names(List<Delivery> deliveries) {
    return deliveries.stream().map(delivery -> delivery.properties().getMessageId()).toList();
  }

  private Delivery delivery(String name) {
    return new Delivery(
        new AMQP.BasicProperties.Builder().messageId(name).build(),
        new byte[0],
        false,
        System.currentTimeMillis(),
        new Delivery.Settler() {
          @Override
          public void ack() {
            settled.add("ack " + name);
          }

          @Override
          public void requeue() {
            settled.add("requeue " + name);
          }
        });
  }
}
