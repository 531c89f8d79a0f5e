package dev.ferry.server.amqp;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts no new request while the broker blocks the connection (a memory or disk alarm): its reply
 * could not be published, nor the request acknowledged, until the alarm clears, so calling the
 * service now would only tie it up. Deliveries that arrive meanwhile (at most the prefetch) are
 * held, unacknowledged, and handed on by {@link #release()} once the broker unblocks the
 * connection; the dispatcher then skips those whose deadline has passed. When the connection is
 * lost the held ones are dropped by {@link #discard()}: the broker has put them back in the queue.
 * That must happen then, before amqp-client recovers the connection, not after: the recovered
 * consumer is handed deliveries of the new connection before the recovery is reported, and those
 * must not be dropped (nobody would ever settle them, and the consumer would take no more once its
 * prefetch is used up). Thread-safe: deliveries come on amqp-client's consumer thread, release on
 * its connection thread and discard on its recovery thread.
 */
public final class DeliveryGate implements Consumer<Delivery> {
  private static final Logger logger = LoggerFactory.getLogger(DeliveryGate.class);

  private final BooleanSupplier blocked;
  private final Consumer<Delivery> next;
  private final List<Delivery> held = new ArrayList<>(); // Guarded by this.

  /** Hands deliveries to {@code next}, holding them while {@code blocked} is true. */
  public DeliveryGate(BooleanSupplier blocked, Consumer<Delivery> next) {
    this.blocked = blocked;
    this.next = next;
  }

  @Override
  public void accept(Delivery delivery) {
    synchronized (this) {
      // Checked under the lock that release() takes after the broker unblocks: a delivery held
      // here is always released.
      if (blocked.getAsBoolean()) {
        held.add(delivery);
        logger.debug("holding a request while the broker blocks publishing held={}", held.size());
        return;
      }
    }
    next.accept(delivery);
  }

  /** Hands on every held delivery; called once the broker no longer blocks the connection. */
  public void release() {
    List<Delivery> released;
    synchronized (this) {
      released = new ArrayList<>(held);
      held.clear();
    }
    if (!released.isEmpty()) {
      logger.info("broker unblocked, starting held requests count={}", released.size());
    }
    released.forEach(next);
  }

  /**
   * Forgets the held deliveries: their connection is gone and the broker requeued them. Each is
   * settled all the same (a requeue that no longer reaches the broker), so that whoever counts the
   * deliveries not yet settled counts them out.
   */
  public void discard() {
    List<Delivery> dropped;
    synchronized (this) {
      dropped = new ArrayList<>(held);
      held.clear();
    }
    if (!dropped.isEmpty()) {
      logger.info("connection lost, dropping held requests count={}", dropped.size());
    }
    dropped.forEach(Delivery::requeue);
  }

  /** Deliveries held now. */
  public synchronized int held() {
    return held.size();
  }
}
