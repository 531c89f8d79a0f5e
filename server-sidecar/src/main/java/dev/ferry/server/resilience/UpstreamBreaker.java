package dev.ferry.server.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.IllegalStateTransitionException;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker of one upstream (a Resilience4j {@link CircuitBreaker} on a small count-based
 * window, see {@link CircuitSettings}). Its callers decide what a failure is and report each
 * outcome: a call that reached the service and got an answer is a success, whatever its status,
 * except 503; a connection that could not be opened, a reset, a timeout and a 503 are failures.
 *
 * <p>It leaves OPEN only through this class: after the open duration it probes the service (a TCP
 * connect) and goes half-open only once that succeeds, then again every {@link #RECHECK_MILLIS};
 * half-open, {@link CircuitSettings#TRIAL_CALLS} real request decides; while it runs the breaker
 * has a {@linkplain #isTrialInFlight() trial in flight}. Every state change, and the start and end
 * of a trial, is reported to {@code onChange} (on the thread that caused it: keep it short).
 * Thread-safe.
 */
public final class UpstreamBreaker {
  private static final Logger logger = LoggerFactory.getLogger(UpstreamBreaker.class);

  /** How often an open breaker probes the service again once the open duration has passed. */
  static final long RECHECK_MILLIS = 500;

  private static final Exception FAILURE = new Exception("upstream failure", null, false, false) {};

  private final String kind;
  private final CircuitBreaker breaker;
  private final long openMillis;
  private final Supplier<CompletableFuture<Boolean>> probe;
  private final ScheduledExecutorService timer;
  private final Runnable onChange;
  private final Object trialLock = new Object();
  private int transitions; // Guarded by trialLock.
  private boolean trialInFlight; // Guarded by trialLock.

  /**
   * A breaker named {@code kind} ({@code http}, {@code grpc}); {@code probe} tells whether the
   * service accepts a connection now; {@code timer} runs the probes. Off (letting every call
   * through, never opening) when {@code settings} say so.
   */
  UpstreamBreaker(
      String kind,
      CircuitSettings settings,
      Supplier<CompletableFuture<Boolean>> probe,
      ScheduledExecutorService timer,
      Runnable onChange) {
    this.kind = kind;
    this.breaker = CircuitBreaker.of(kind, settings.toResilience4j());
    this.openMillis = settings.openDuration().toMillis();
    this.probe = probe;
    this.timer = timer;
    this.onChange = onChange;
    if (!settings.enabled()) {
      breaker.transitionToDisabledState();
    }
    breaker.getEventPublisher().onStateTransition(this::transitioned);
  }

  public String kind() {
    return kind;
  }

  /**
   * Asks to make a call (or a retry): false while open, and while half-open once the trial calls
   * are taken. A permit taken must end in {@link #succeeded}, {@link #failed} or {@link #release}.
   */
  public boolean tryAcquire() {
    // Checked first, so that Resilience4j never moves to half-open on its own.
    if (isOpen()) {
      return false;
    }
    int seen = transitions();
    State before = breaker.getState();
    if (!breaker.tryAcquirePermission()) {
      return false;
    }
    if (before == State.HALF_OPEN) {
      trial(seen, true);
    }
    return true;
  }

  /**
   * Gives back a permit whose call told nothing about the service (it was not made, or cancelled).
   */
  public void release() {
    int seen = transitions();
    breaker.releasePermission();
    trial(seen, false);
  }

  private int transitions() {
    synchronized (trialLock) {
      return transitions;
    }
  }

  /**
   * Notes that a trial started or ended, unless the state changed since {@code seen} transitions (a
   * transition ends every trial); tells {@code onChange} when that changed anything.
   */
  private void trial(int seen, boolean inFlight) {
    synchronized (trialLock) {
      if (transitions != seen || trialInFlight == inFlight) {
        return;
      }
      trialInFlight = inFlight;
    }
    onChange.run();
  }

  /**
   * Whether a trial request holds the half-open breaker's permit: no other request can be started
   * until it has told how the service is.
   */
  public boolean isTrialInFlight() {
    synchronized (trialLock) {
      return trialInFlight;
    }
  }

  /** The service answered, after {@code nanos}. */
  public void succeeded(long nanos) {
    breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The service failed a call or a connection attempt, after {@code nanos}. Connection attempts are
   * reported one by one, without a permit of their own, so that a service that went away opens the
   * breaker within a second, not after a request's whole budget of connection retries.
   */
  public void failed(long nanos) {
    breaker.onError(nanos, TimeUnit.NANOSECONDS, FAILURE);
  }

  public boolean isOpen() {
    State state = breaker.getState();
    return state == State.OPEN || state == State.FORCED_OPEN;
  }

  public boolean isHalfOpen() {
    return breaker.getState() == State.HALF_OPEN;
  }

  /** Closed (or off): calls go through as usual. */
  public boolean isClosed() {
    return !isOpen() && !isHalfOpen();
  }

  /** 0 closed (or off), 1 half-open, 2 open: the {@code ferry.upstream.circuit.state} gauge. */
  double stateLevel() {
    return isOpen() ? 2 : isHalfOpen() ? 1 : 0;
  }

  private void transitioned(CircuitBreakerOnStateTransitionEvent event) {
    synchronized (trialLock) {
      transitions++;
      trialInFlight = false;
    }
    State to = event.getStateTransition().getToState();
    if (to == State.OPEN) {
      logger.warn(
          "circuit opened, not taking requests upstream={} failure_rate={}% open_for_ms={}",
          kind, breaker.getMetrics().getFailureRate(), openMillis);
      checkLater(openMillis);
    } else if (to == State.HALF_OPEN) {
      logger.info("circuit half-open, taking a trial request upstream={}", kind);
    } else if (to == State.CLOSED) {
      logger.info("circuit closed, taking requests again upstream={}", kind);
    }
    onChange.run();
  }

  private void checkLater(long delayMillis) {
    try {
      timer.schedule(this::check, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  /** On the timer: half-open once the service accepts a connection, else look again later. */
  private void check() {
    if (breaker.getState() != State.OPEN) {
      return;
    }
    probe
        .get()
        .whenComplete(
            (reachable, failure) -> {
              if (breaker.getState() != State.OPEN) {
                return;
              }
              if (!Boolean.TRUE.equals(reachable)) {
                checkLater(RECHECK_MILLIS);
                return;
              }
              try {
                breaker.transitionToHalfOpenState();
              } catch (IllegalStateTransitionException e) {
                logger.debug("circuit moved meanwhile upstream={} cause={}", kind, e.getMessage());
              }
            });
  }
}
