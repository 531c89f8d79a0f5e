package dev.ferry.server.amqp;

import com.rabbitmq.client.AMQP;

/**
 * One request as the broker delivered it. {@link #ack()} and {@link #requeue()} settle it, once, on
 * the writer thread.
 *
 * @param receivedAtMillis when this sidecar took the delivery (epoch milliseconds)
 */
public record Delivery(
    AMQP.BasicProperties properties,
    byte[] body,
    boolean redelivered,
    long receivedAtMillis,
    Settler settler) {

  /** Settles a delivery on the channel it came from. */
  public interface Settler {
    void ack();

    void requeue();
  }

  public void ack() {
    settler.ack();
  }

  public void requeue() {
    settler.requeue();
  }
}
