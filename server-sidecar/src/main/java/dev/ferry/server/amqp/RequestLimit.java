package dev.ferry.server.amqp;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code --max-requests} limit: how many requests this sidecar takes in its lifetime (0: no
 * limit). A request counts once its delivery is acknowledged (answered, even with an error or from
 * the reply cache; skipped because its deadline had passed; dead-lettered); one returned to the
 * queue (its circuit is open, its reply was not confirmed) does not, and frees its place. A gRPC
 * call is one request, however many messages it streams.
 *
 * <p>Every place is either taken (a delivery handed on and not yet settled) or used (acked). While
 * none is left the intake is 0, so the consumer is cancelled; a delivery that still arrives (sent
 * before the cancel took effect) goes back to the queue unstarted. Once every place is used, {@code
 * onUsedUp} runs, once: the sidecar then stops as on SIGTERM. Thread-safe: deliveries come on
 * amqp-client's consumer thread, settlements on any thread.
 */
public final class RequestLimit {
  private static final Logger logger = LoggerFactory.getLogger(RequestLimit.class);

  private final int max;
  private final Runnable intakeChanged;
  private final Runnable onUsedUp;
  private int taken; // Guarded by this.
  private int used; // Guarded by this.

  /**
   * A limit of {@code max} requests (0: none). {@code intakeChanged} runs when {@link #prefetch}
   * drops to 0 or rises from it; {@code onUsedUp} once all {@code max} requests are acked. Neither
   * may block: they run on the thread that took or settled a delivery.
   */
  public RequestLimit(int max, Runnable intakeChanged, Runnable onUsedUp) {
    if (max < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
    }
    this.max = max;
    this.intakeChanged = intakeChanged;
    this.onUsedUp = onUsedUp;
  }

  /** The prefetch to consume with when the intake would otherwise be {@code wanted}. */
  public synchronized int prefetch(int wanted) {
    return max == 0 ? wanted : Math.min(wanted, left());
  }

  /** True while this sidecar may take another request (readiness). */
  public synchronized boolean isTaking() {
    return max == 0 || left() > 0;
  }

  /** Requests acked so far that count toward the limit. */
  public synchronized int used() {
    return used;
  }

  private int left() {
    return max - taken - used;
  }

  /** Hands deliveries on to {@code next} while places are left; returns the rest unstarted. */
  public Consumer<Delivery> guarding(Consumer<Delivery> next) {
    return max == 0 ? next : delivery -> take(delivery, next);
  }

  private void take(Delivery delivery, Consumer<Delivery> next) {
    int leftAfter;
    synchronized (this) {
      leftAfter = left() == 0 ? -1 : max - ++taken - used;
    }
    if (leftAfter < 0) {
      // Sent before the cancel took effect: never started, so it does not count.
      logger.debug(
          "returning a request unstarted, --max-requests taken correlationId={}",
          delivery.properties() == null ? null : delivery.properties().getCorrelationId());
      delivery.requeue();
      return;
    }
    if (leftAfter == 0) {
      logger.info("took the last request --max-requests={}, consuming no more", max);
      intakeChanged.run();
    }
    next.accept(counted(delivery));
  }

  /** The delivery whose settlement moves its place from taken to used, or frees it. */
  private Delivery counted(Delivery delivery) {
    AtomicBoolean settled = new AtomicBoolean();
    Delivery.Settler settler =
        new Delivery.Settler() {
          @Override
          public void ack() {
            if (settled.compareAndSet(false, true)) {
              delivery.ack();
              settled(true);
            }
          }

          @Override
          public void requeue() {
            if (settled.compareAndSet(false, true)) {
              delivery.requeue();
              settled(false);
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

  private void settled(boolean acked) {
    boolean usedUp;
    boolean freed;
    synchronized (this) {
      taken--;
      if (acked) {
        used++;
      }
      usedUp = acked && used == max;
      freed = !acked && left() == 1;
    }
    if (freed) {
      logger.info("a request went back to the queue, taking one more --max-requests={}", max);
      intakeChanged.run();
    }
    if (usedUp) {
      logger.info("answered --max-requests={} requests, stopping", max);
      onUsedUp.run();
    }
  }
}
