package dev.ferry.scaler.load;

import dev.ferry.protocol.InstanceStats;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * The services the scaler knows: those some ScaledObject asked about (their queues are polled), and
 * those whose instances report in-flight requests. A service nobody asked about for {@link #IDLE}
 * and without a listening stream stops being polled, and is forgotten once none of its instances'
 * reports counts anymore. Thread-safe.
 */
public final class Loads {
  /** How long a service is polled after the last question about it (KEDA asks every 30 s). */
  public static final Duration IDLE = Duration.ofMinutes(10);

  private final ConcurrentMap<String, ServiceLoad> services = new ConcurrentHashMap<>();
  private final LongSupplier nanoClock;
  private final long staleAfterNanos;
  private volatile Runnable onNewlyWatched = () -> {};

  /**
   * A table on {@code nanoClock} ({@code System::nanoTime} but in tests) whose readings count as
   * current for {@code staleAfter}.
   */
  public Loads(LongSupplier nanoClock, Duration staleAfter) {
    this.nanoClock = nanoClock;
    this.staleAfterNanos = staleAfter.toNanos();
  }

  /** Runs {@code action} (which must not block) when a service starts being watched. */
  public void onNewlyWatched(Runnable action) {
    onNewlyWatched = action;
  }

  /** The load of {@code service}, which a ScaledObject asks about now: it is polled from now on. */
  public ServiceLoad watch(String service) {
    long idle = IDLE.toNanos();
    boolean[] newly = new boolean[1];
    // Atomic with sweep(), so that a service is never forgotten between its lookup and asked().
    ServiceLoad load =
        services.compute(
            service,
            (name, known) -> {
              ServiceLoad found = known == null ? newLoad(name) : known;
              newly[0] = !found.watched(idle);
              found.asked();
              return found;
            });
    if (newly[0]) {
      onNewlyWatched.run();
    }
    return load;
  }

  /** Records an instance's report, whether or not anyone asked about its service yet. */
  public void report(InstanceStats stats) {
    load(stats.service()).report(stats);
  }

  /** The services to poll now. */
  public List<ServiceLoad> watched() {
    long idle = IDLE.toNanos();
    return services.values().stream().filter(load -> load.watched(idle)).toList();
  }

  /** Forgets services that are neither watched nor have live instances. */
  public void sweep() {
    long idle = IDLE.toNanos();
    for (String service : services.keySet()) {
      services.computeIfPresent(
          service, (name, load) -> !load.watched(idle) && load.liveInstances() == 0 ? null : load);
    }
  }

  /** Services known now (watched or reporting). */
  public int size() {
    return services.size();
  }

  /** Instances whose reports count now, over all services. */
  public int liveInstances() {
    int sum = 0;
    for (ServiceLoad load : services.values()) {
      sum += load.liveInstances();
    }
    return sum;
  }

  private ServiceLoad load(String service) {
    return services.computeIfAbsent(service, this::newLoad);
  }

  private ServiceLoad newLoad(String service) {
    return new ServiceLoad(service, nanoClock, staleAfterNanos);
  }
}
