package dev.ferry.server.dispatch;

import dev.ferry.server.amqp.Delivery;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One delivery's end: acked or returned to the queue, and counted out of {@link InFlight}, exactly
 * once, whichever of the callbacks that race to end it comes first. Thread-safe.
 */
final class Settlement {
  private final Delivery delivery;
  private final InFlight inFlight;
  private final AtomicBoolean done = new AtomicBoolean();

  Settlement(Delivery delivery, InFlight inFlight) {
    this.delivery = delivery;
    this.inFlight = inFlight;
  }

  void ack() {
    if (done.compareAndSet(false, true)) {
      delivery.ack();
      inFlight.leave();
    }
  }

  void requeue() {
    if (done.compareAndSet(false, true)) {
      delivery.requeue();
      inFlight.leave();
    }
  }
}
