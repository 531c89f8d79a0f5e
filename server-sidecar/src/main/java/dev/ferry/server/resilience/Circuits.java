package dev.ferry.server.resilience;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The server sidecar's breakers and retries, one {@link UpstreamGuard} per upstream, and what they
 * mean for taking requests: none while a breaker is open (other replicas take them, or they wait in
 * the queue within their deadlines) or while its trial request runs, {@link
 * CircuitSettings#TRIAL_CALLS} at a time while one is half-open, else the full concurrency. (Taking
 * none during a trial keeps a request that cannot get a permit from going back to the queue only to
 * come straight back.) Owns the timer thread ({@code ferry-resilience}) that runs retries and
 * probes. Thread-safe.
 *
 * <p>The intake is one for both upstreams, as HTTP and gRPC requests share one queue and nothing
 * tells them apart before they are taken: while either breaker is open, requests for the other
 * upstream wait too (taking them and handing back those for the open one would only make them come
 * straight back, and on a quorum queue count towards {@code --max-deliveries}). A half-open breaker
 * whose trial never comes (only requests for the other upstream arrive) does not hold the intake
 * down for long: after the open duration it asks the probe instead ({@link UpstreamBreaker}).
 */
public final class Circuits implements AutoCloseable {
  private final CircuitSettings settings;
  private final int maxRetries;
  private final int retryBudgetPercent;
  private final MeterRegistry registry;
  private final ScheduledExecutorService timer;
  private final List<UpstreamBreaker> breakers = new CopyOnWriteArrayList<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  /**
   * @param maxRetries retries per request ({@code --max-retries})
   * @param retryBudgetPercent retries as a share of requests ({@code --retry-budget}), per upstream
   */
  public Circuits(
      CircuitSettings settings, int maxRetries, int retryBudgetPercent, MeterRegistry registry) {
    this.settings = settings;
    this.maxRetries = maxRetries;
    this.retryBudgetPercent = retryBudgetPercent;
    this.registry = registry;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-resilience");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * The breaker and retries of the upstream {@code kind}, with its meters; {@code probe} tells
   * whether the service accepts a connection now.
   */
  public UpstreamGuard guard(String kind, Supplier<CompletableFuture<Boolean>> probe) {
    UpstreamBreaker breaker = new UpstreamBreaker(kind, settings, probe, timer, this::changed);
    breakers.add(breaker);
    ResilienceMetrics.circuitState(registry, breaker);
    Retries retries =
        new Retries(
            maxRetries,
            new RetryBudget(retryBudgetPercent),
            timer,
            ResilienceMetrics.retries(registry, kind));
    return new UpstreamGuard(kind, breaker, retries);
  }

  /** Runs {@code listener} whenever a breaker changes state, on the thread that changed it. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  private void changed() {
    listeners.forEach(Runnable::run);
  }

  /**
   * The consumer prefetch the breakers allow now: 0 while one is open or has a trial in flight,
   * {@link CircuitSettings#TRIAL_CALLS} while one is half-open, else {@code concurrency}.
   */
  public int prefetch(int concurrency) {
    int prefetch = concurrency;
    for (UpstreamBreaker breaker : breakers) {
      if (breaker.isOpen() || breaker.isTrialInFlight()) {
        return 0;
      }
      if (breaker.isHalfOpen()) {
        prefetch = Math.min(prefetch, CircuitSettings.TRIAL_CALLS);
      }
    }
    return prefetch;
  }

  /** Stops the timer: retries not yet made and probes not yet run are dropped. */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
