package dev.ferry.scaler.load;

import dev.ferry.protocol.InstanceStats;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * One service's load as the scaler knows it: the ready requests in its queue (the last poll), the
 * in-flight requests each of its server sidecar instances reported (each report counts until it
 * expires), and the listeners to tell whenever either changes. The metric is their sum.
 * Thread-safe: readings and reports arrive on the AMQP threads, questions on gRPC threads;
 * listeners are told under this object's lock, so they hear the updates in order.
 */
public final class ServiceLoad {
  private final String service;
  private final LongSupplier nanoClock;
  private final long staleAfterNanos;
  private final CompletableFuture<Void> firstReading = new CompletableFuture<>();
  private final List<LoadListener> listeners = new CopyOnWriteArrayList<>();

  // Guarded by this.
  private final Map<String, Reported> instances = new HashMap<>();
  private long ready = -1;
  private long readAtNanos;

  private volatile boolean asked;
  private volatile long askedAtNanos;

  /** One instance's report: its in-flight requests, counted until {@code expiresAtNanos}. */
  private record Reported(long inFlight, long expiresAtNanos) {}

  ServiceLoad(String service, LongSupplier nanoClock, long staleAfterNanos) {
    this.service = service;
    this.nanoClock = nanoClock;
    this.staleAfterNanos = staleAfterNanos;
  }

  public String service() {
    return service;
  }

  /** Records a poll of the queue: {@code count} ready requests (0 when it does not exist). */
  public synchronized void ready(long count) {
    ready = count;
    readAtNanos = nanoClock.getAsLong();
    firstReading.complete(null);
    tell();
  }

  /** Records an instance's report; a last report ({@link InstanceStats#gone()}) removes it. */
  public synchronized void report(InstanceStats stats) {
    if (stats.gone()) {
      instances.remove(stats.instance());
    } else {
      long expiresAt = nanoClock.getAsLong() + stats.expiresMillis() * 1_000_000;
      instances.put(stats.instance(), new Reported(stats.inFlight(), expiresAt));
    }
    if (ready >= 0) {
      tell();
    }
  }

  /**
   * Ready plus in-flight requests now; empty while the queue has not been read, or not within the
   * staleness limit (the broker is unreachable): then nobody knows.
   */
  public synchronized OptionalLong metric() {
    long now = nanoClock.getAsLong();
    if (ready < 0 || now - readAtNanos > staleAfterNanos) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(ready + inFlight(now));
  }

  /** Completes once the queue has been read the first time. */
  public CompletableFuture<Void> firstReading() {
    return firstReading.copy();
  }

  /** Adds {@code listener} and tells it the current metric at once, if there is one. */
  public synchronized void listen(LoadListener listener) {
    listeners.add(listener);
    if (ready >= 0) {
      listener.load(ready + inFlight(nanoClock.getAsLong()));
    }
  }

  public void unlisten(LoadListener listener) {
    listeners.remove(listener);
  }

  /** Instances whose reports count now. */
  public synchronized int liveInstances() {
    dropExpired(nanoClock.getAsLong());
    return instances.size();
  }

  /** Notes that a ScaledObject asked about this service now. */
  void asked() {
    askedAtNanos = nanoClock.getAsLong();
    asked = true;
  }

  /** True while a stream listens or a ScaledObject asked within {@code idleNanos}. */
  boolean watched(long idleNanos) {
    return !listeners.isEmpty() || (asked && nanoClock.getAsLong() - askedAtNanos < idleNanos);
  }

  private void tell() {
    long metric = ready + inFlight(nanoClock.getAsLong());
    for (LoadListener listener : listeners) {
      listener.load(metric);
    }
  }

  private long inFlight(long now) {
    dropExpired(now);
    long sum = 0;
    for (Reported reported : instances.values()) {
      sum += reported.inFlight();
    }
    return sum;
  }

  private void dropExpired(long now) {
    for (Iterator<Reported> it = instances.values().iterator(); it.hasNext(); ) {
      if (now - it.next().expiresAtNanos() >= 0) {
        it.remove();
      }
    }
  }
}
