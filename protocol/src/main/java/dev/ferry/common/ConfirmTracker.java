package dev.ferry.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongConsumer;

/**
 * What each unconfirmed publish on one channel was for, by publish sequence number, so that a
 * broker ack or nack (possibly {@code multiple}) settles exactly the right ones. Optionally reports
 * each settled publish's confirm latency (nanoseconds from {@link #put} to the ack or nack) to a
 * listener, on the thread that settles it. Thread-safe: the publishing thread adds, amqp-client's
 * connection thread takes.
 *
 * @param <T> what a publish was for
 */
public final class ConfirmTracker<T> {
  private final NavigableMap<Long, Entry<T>> unconfirmed = new ConcurrentSkipListMap<>();
  private final LongConsumer confirmNanos;

  private record Entry<T>(T value, long publishedNanos) {}

  /** A tracker that measures nothing. */
  public ConfirmTracker() {
    this(nanos -> {});
  }

  /** A tracker that reports each ack's or nack's latency to {@code confirmNanos}. */
  public ConfirmTracker(LongConsumer confirmNanos) {
    this.confirmNanos = confirmNanos;
  }

  /** Records that publish {@code sequence} was for {@code value}; call just before publishing. */
  public void put(long sequence, T value) {
    unconfirmed.put(sequence, new Entry<>(value, System.nanoTime()));
  }

  /**
   * Forgets publish {@code sequence} (it failed before reaching the broker); its value, or null.
   */
  public T remove(long sequence) {
    Entry<T> entry = unconfirmed.remove(sequence);
    return entry == null ? null : entry.value();
  }

  /** Takes what the broker's ack or nack of {@code deliveryTag} settles. */
  public List<T> take(long deliveryTag, boolean multiple) {
    long now = System.nanoTime();
    if (!multiple) {
      Entry<T> entry = unconfirmed.remove(deliveryTag);
      return entry == null ? List.of() : List.of(settled(entry, now));
    }
    Map<Long, Entry<T>> settled = unconfirmed.headMap(deliveryTag, true);
    List<T> taken = new ArrayList<>(settled.size());
    for (Entry<T> entry : settled.values()) {
      taken.add(settled(entry, now));
    }
    settled.clear();
    return taken;
  }

  private T settled(Entry<T> entry, long now) {
    confirmNanos.accept(now - entry.publishedNanos());
    return entry.value();
  }

  /**
   * Takes everything unconfirmed, e.g. when the channel is lost (sequence numbers restart); no
   * latency is reported for these.
   */
  public List<T> takeAll() {
    List<T> taken = new ArrayList<>();
    Map.Entry<Long, Entry<T>> entry;
    while ((entry = unconfirmed.pollFirstEntry()) != null) {
      taken.add(entry.getValue().value());
    }
    return taken;
  }

  public int size() {
    return unconfirmed.size();
  }
}
