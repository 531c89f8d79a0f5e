package dev.ferry.server.amqp;

import com.rabbitmq.client.Channel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands on at most {@code size} deliveries that are not settled yet, whichever consumer
 * registration they came from; the others wait, in order, and are handed on one by one as those
 * before them are settled. The consumer prefetch alone does not ensure this: it is per consumer,
 * and a consumer registered anew (its intake changed) gets a fresh one while the requests of the
 * cancelled one still run. So without this a sidecar could run up to twice its concurrency.
 *
 * <p>A delivery that waits is handed on by {@code handOff} (the consumer's own thread), not by the
 * thread that settled the one before it, which may hold locks of its own. Waiting deliveries of a
 * channel that closed are forgotten (the broker has put them back in the queue); after {@link
 * #stop()} they go back to the queue instead of waiting. Thread-safe.
 */
final class DeliverySlots {
  private static final Logger logger = LoggerFactory.getLogger(DeliverySlots.class);

  private final int size;
  private final Executor handOff;
  private final Consumer<Delivery> next;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>(); // Guarded by this.
  private int taken; // Guarded by this: deliveries handed on and not yet settled.
  private boolean stopped; // Guarded by this.

  private record Waiting(Channel from, Delivery delivery) {}

  /** Hands deliveries to {@code next}, at most {@code size} unsettled at a time. */
  DeliverySlots(int size, Executor handOff, Consumer<Delivery> next) {
    if (size <= 0) {
      throw new IllegalArgumentException("size: " + size + " (expected: > 0)");
    }
    this.size = size;
    this.handOff = handOff;
    this.next = next;
  }

  /** A delivery that came on {@code from}: handed on now if a place is free, else later. */
  void accept(Channel from, Delivery delivery) {
    boolean returned = false;
    synchronized (this) {
      if (taken < size && waiting.isEmpty()) {
        taken++;
      } else if (stopped) {
        returned = true;
      } else {
        waiting.add(new Waiting(from, delivery));
        logger.debug("a request waits for a place taken={} waiting={}", taken, waiting.size());
        return;
      }
    }
    if (returned) {
      delivery.requeue(); // Stopping: another replica takes it.
      return;
    }
    next.accept(counted(delivery));
  }

  /** Forgets the waiting deliveries of {@code closed}: the broker has put them back. */
  synchronized void forget(Channel closed) {
    waiting.removeIf(entry -> entry.from() == closed);
  }

  /**
   * Returns the waiting deliveries to the queue; from now on, one that finds no free place goes
   * back at once instead of waiting.
   */
  void stop() {
    List<Waiting> returned;
    synchronized (this) {
      stopped = true;
      returned = new ArrayList<>(waiting);
      waiting.clear();
    }
    returned.forEach(entry -> entry.delivery().requeue());
  }

  /** Deliveries handed on and not yet settled. */
  synchronized int taken() {
    return taken;
  }

  /** Deliveries waiting for a place. */
  synchronized int waiting() {
    return waiting.size();
  }

  /** The delivery whose settlement, the first one, frees its place for the next. */
  private Delivery counted(Delivery delivery) {
    AtomicBoolean settled = new AtomicBoolean();
    Delivery.Settler settler =
        new Delivery.Settler() {
          @Override
          public void ack() {
            if (settled.compareAndSet(false, true)) {
              delivery.ack();
              freed();
            }
          }

          @Override
          public void requeue() {
            if (settled.compareAndSet(false, true)) {
              delivery.requeue();
              freed();
            }
          }
        };
    return new Delivery(
        delivery.properties(),
        delivery.body(),
        delivery.redelivered(),
        delivery.receivedAtMillis(),
        settler);
  }

  /** A place is free: it passes to the first waiting delivery, if any. */
  private void freed() {
    Delivery passed;
    synchronized (this) {
      Waiting first = waiting.poll();
      if (first == null) {
        taken--;
        return;
      }
      passed = first.delivery();
    }
    Delivery counted = counted(passed);
    try {
      handOff.execute(() -> next.accept(counted));
    } catch (RejectedExecutionException e) {
      counted.requeue(); // Closed: back to the queue, and the place passes on again.
    }
  }
}
