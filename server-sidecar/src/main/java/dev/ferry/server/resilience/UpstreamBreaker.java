package dev.ferry.server.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
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
 * outcome on the {@link Permit} the call was made with: a call that reached the service and got an
 * answer is a success, whatever its status, except 503; a connection that could not be opened, a
 * reset, a timeout and a 503 are failures.
 *
 * <p>It leaves OPEN only through this class: after the open duration it probes the service (a TCP
 * connect) and goes half-open only once that succeeds, then again every {@link #RECHECK_MILLIS};
 * half-open, {@link CircuitSettings#TRIAL_CALLS} real request decides; while it runs the breaker
 * has a {@linkplain #isTrialInFlight() trial in flight}. A half-open breaker that gets no trial
 * within the open duration (the requests that come are all for the other upstream) asks the probe
 * instead: closed if the service accepts a connection, open again if not.
 *
 * <p>A permit belongs to the state it was taken in: what a call that began before the last state
 * change tells (its outcome, or that it gives its permit back) is ignored. A call that began while
 * closed and ends while half-open must neither decide the trial nor let a second one through.
 *
 * <p>Every state change, and the start and end of a trial, is reported to {@code onChange}, on the
 * thread that caused it (keep it short), never while holding this breaker's lock. Thread-safe: the
 * state and the Resilience4j breaker change under one lock, so that a permit's state is the state
 * that granted it.
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
  private final Object lock = new Object();
  private int generation; // Guarded by lock: state changes so far.
  private boolean trialInFlight; // Guarded by lock.
  private boolean trialTaken; // Guarded by lock: a trial began since the last look for one.
  private boolean changed; // Guarded by lock: onChange is due once the lock is released.

  /**
   * Permission to make one call (or one retry), taken in one state of the breaker. It ends with
   * {@link #succeeded}, {@link #failed} or {@link #release}; a call's connection attempts may each
   * report a failure before it ends. Once the breaker has changed state, it tells nothing any more.
   */
  public final class Permit {
    private final int generation;
    private final boolean trial;
    private boolean ended; // Guarded by lock.

    private Permit(int generation, boolean trial) {
      this.generation = generation;
      this.trial = trial;
    }

    /** The service answered, after {@code nanos}. */
    public void succeeded(long nanos) {
      outcome(this, true, nanos);
    }

    /**
     * The service failed the call or one of its connection attempts, after {@code nanos}.
     * Connection attempts are reported one by one, so that a service that went away opens the
     * breaker within a second, not after a request's whole budget of connection retries.
     */
    public void failed(long nanos) {
      outcome(this, false, nanos);
    }

    /**
     * Gives the permit back: the call told nothing about the service (it was not made, or was
     * cancelled). Nothing once an outcome was reported or the permit given back.
     */
    public void release() {
      UpstreamBreaker.this.release(this);
    }
  }

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
   * Asks to make a call (or a retry): null while open, and while half-open once the trial calls are
   * taken. A permit taken must end in {@link Permit#succeeded}, {@link Permit#failed} or {@link
   * Permit#release}.
   */
  public Permit tryAcquire() {
    return locked(
        () -> {
          State state = breaker.getState();
          // Checked first, so that Resilience4j never moves to half-open on its own.
          if (state == State.OPEN || state == State.FORCED_OPEN) {
            return null;
          }
          if (!breaker.tryAcquirePermission()) {
            return null;
          }
          boolean trial = state == State.HALF_OPEN;
          if (trial) {
            trialInFlight = true;
            trialTaken = true;
            changed = true;
          }
          return new Permit(generation, trial);
        });
  }

  private void outcome(Permit permit, boolean success, long nanos) {
    locked(
        () -> {
          permit.ended = true;
          if (permit.generation != generation) {
            return null; // Began in another state: tells nothing about this one.
          }
          if (success) {
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
          } else {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, FAILURE);
          }
          return null;
        });
  }

  private void release(Permit permit) {
    locked(
        () -> {
          boolean current = !permit.ended && permit.generation == generation;
          permit.ended = true;
          if (!current) {
            return null; // Resilience4j would count it as a permit of this state.
          }
          breaker.releasePermission();
          if (permit.trial && trialInFlight) {
            trialInFlight = false;
            changed = true;
          }
          return null;
        });
  }

  /**
   * Runs {@code action} under the lock, then tells {@code onChange} if anything it reports changed.
   */
  private <T> T locked(Supplier<T> action) {
    T result;
    boolean notify;
    synchronized (lock) {
      result = action.get();
      notify = changed;
      changed = false;
    }
    if (notify) {
      onChange.run();
    }
    return result;
  }

  /**
   * Whether a trial request holds the half-open breaker's permit: no other request can be started
   * until it has told how the service is.
   */
  public boolean isTrialInFlight() {
    synchronized (lock) {
      return trialInFlight;
    }
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

  /** On the thread that changed the state, which holds the lock (every change is made under it). */
  private void transitioned(CircuitBreakerOnStateTransitionEvent event) {
    int now;
    boolean underLock = Thread.holdsLock(lock);
    synchronized (lock) {
      now = ++generation;
      trialInFlight = false;
      trialTaken = false;
      changed = underLock; // Told once the lock is released (see locked()).
    }
    if (!underLock) {
      onChange.run(); // Not expected: every change is made under the lock.
    }
    State to = event.getStateTransition().getToState();
    if (to == State.OPEN) {
      logger.warn(
          "circuit opened, not taking requests upstream={} failure_rate={}% open_for_ms={}",
          kind, breaker.getMetrics().getFailureRate(), openMillis);
      later(this::check, openMillis);
    } else if (to == State.HALF_OPEN) {
      logger.info("circuit half-open, taking a trial request upstream={}", kind);
      later(() -> awaitTrial(now), openMillis);
    } else if (to == State.CLOSED) {
      logger.info("circuit closed, taking requests again upstream={}", kind);
    }
  }

  private void later(Runnable check, long delayMillis) {
    if (timer == null) {
      return; // A breaker that is off: it never opens.
    }
    try {
      timer.schedule(check, delayMillis, TimeUnit.MILLISECONDS);
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
              if (!Boolean.TRUE.equals(reachable)) {
                later(this::check, RECHECK_MILLIS);
                return;
              }
              locked(
                  () -> {
                    if (breaker.getState() == State.OPEN) {
                      breaker.transitionToHalfOpenState();
                    }
                    return null;
                  });
            });
  }

  /**
   * On the timer, an open duration after the breaker went half-open in state change {@code half}:
   * if no trial came meanwhile (every request was for the other upstream), the probe decides
   * instead, closed if the service accepts a connection, open again if not; if one came, look again
   * later.
   */
  private void awaitTrial(int half) {
    boolean noTrial;
    synchronized (lock) {
      if (generation != half) {
        return;
      }
      noTrial = !trialInFlight && !trialTaken;
      trialTaken = false;
    }
    if (noTrial) {
      probe.get().whenComplete((reachable, failure) -> decideWithoutTrial(half, reachable));
    } else {
      later(() -> awaitTrial(half), openMillis);
    }
  }

  private void decideWithoutTrial(int half, Boolean reachable) {
    locked(
        () -> {
          if (generation != half || trialInFlight) {
            return null; // Decided meanwhile, or a trial came after all: it decides.
          }
          if (Boolean.TRUE.equals(reachable)) {
            logger.info(
                "no trial request came, closing the circuit: the service accepts connections"
                    + " upstream={}",
                kind);
            breaker.transitionToClosedState();
          } else {
            breaker.transitionToOpenState();
          }
          return null;
        });
  }
}
