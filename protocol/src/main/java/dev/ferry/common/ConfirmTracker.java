package dev.ferry.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What each unconfirmed publish on one channel was for, by publish sequence number, so that a
 * broker ack or nack (possibly {@code multiple}) settles exactly the right ones. Thread-safe: the
 * publishing thread adds, amqp-client's connection thread takes.
 *
 * @param <T> what a publish was for
 */
public final class ConfirmTracker<T> {
  private final NavigableMap<Long, T> unconfirmed = new ConcurrentSkipListMap<>();

  /** Records that publish {@code sequence} was for {@code value}. */
  public void put(long sequence, T value) {
    unconfirmed.put(sequence, value);
  }

  /**
   * Forgets publish {@code sequence} (it failed before reaching the broker); its value, or null.
   */
  public T remove(long sequence) {
    return unconfirmed.remove(sequence);
  }

  /** Takes what the broker's ack or nack of {@code deliveryTag} settles. */
  public List<T> take(long deliveryTag, boolean multiple) {
    if (!multiple) {
      T value = unconfirmed.remove(deliveryTag);
      return value == null ? List.of() : List.of(value);
    }
    Map<Long, T> settled = unconfirmed.headMap(deliveryTag, true);
    List<T> taken = new ArrayList<>(settled.values());
    settled.clear();
    return taken;
  }

  /** Takes everything unconfirmed, e.g. when the channel is lost (sequence numbers restart). */
  public List<T> takeAll() {
    List<T> taken = new ArrayList<>();
    Map.Entry<Long, T> entry;
    while ((entry = unconfirmed.pollFirstEntry()) != null) {
      taken.add(entry.getValue());
    }
    return taken;
  }

  public int size() {
    return unconfirmed.size();
  }
}
