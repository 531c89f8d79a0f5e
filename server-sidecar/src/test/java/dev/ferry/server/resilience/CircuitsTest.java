package dev.ferry.server.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The breakers with a probe the test controls and a short open duration. */
class CircuitsTest {
  private static final int CONCURRENCY = 16;
  private static final Duration OPEN = Duration.ofMillis(500);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicBoolean reachable = new AtomicBoolean(true);
  private final AtomicInteger changes = new AtomicInteger();
  private Circuits circuits = circuits(10);
  private UpstreamGuard http = circuits.guard("http", this::probe);

  @AfterEach
  void tearDown() {
    circuits.close();
  }

  @Test
  void opensWhenHalfOfTheLastCallsFailedAndStopsTheIntake() {
    circuits.onChange(changes::incrementAndGet);
    calls(false, true, false, true);
    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CONCURRENCY); // 4 calls: not judged yet.

    calls(false);

    assertThat(http.breaker().isOpen()).isTrue();
    assertThat(http.breaker().tryAcquire()).isNull();
    assertThat(circuits.prefetch(CONCURRENCY)).isZero();
    assertThat(changes).hasValue(1);
    assertThat(registry.get("ferry.upstream.circuit.state").tag("upstream", "http").gauge().value())
        .isEqualTo(2);
  }

  @Test
  void staysClosedWhileFewerThanHalfFail() {
    calls(true, false, true, true, false, true, true, false, true, true);

    assertThat(http.breaker().isClosed()).isTrue();
  }

  @Test
  void opensOnFailedConnectionAttemptsOfOneCall() {
    UpstreamBreaker.Permit permit = http.breaker().tryAcquire();

    for (int i = 0; i < 5; i++) {
      permit.failed(0);
    }

    assertThat(http.breaker().isOpen()).isTrue();
  }

  @Test
  void halfOpensOnlyOnceTheServiceAcceptsAConnectionAndClosesOnASuccessfulTrial() {
    reachable.set(false);
    open();

    await()
        .during(OPEN.multipliedBy(4))
        .atMost(Duration.ofSeconds(5))
        .until(() -> http.breaker().isOpen());
    reachable.set(true);

    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());
    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CircuitSettings.TRIAL_CALLS);
    UpstreamBreaker.Permit trial = http.breaker().tryAcquire();
    assertThat(trial).isNotNull();
    assertThat(http.breaker().tryAcquire()).isNull(); // One trial at a time...
    assertThat(circuits.prefetch(CONCURRENCY)).isZero(); // ...and nothing taken meanwhile.
    trial.succeeded(1_000);
    assertThat(http.breaker().isTrialInFlight()).isFalse();
    assertThat(http.breaker().isClosed()).isTrue();
    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CONCURRENCY);
  }

  @Test
  void opensAgainOnAFailedTrial() {
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());

    http.breaker().tryAcquire().failed(1_000);

    assertThat(http.breaker().isOpen()).isTrue();
    assertThat(circuits.prefetch(CONCURRENCY)).isZero();
  }

  @Test
  void letsAnotherTrialThroughWhenATrialPermitIsGivenBack() {
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());

    http.breaker().tryAcquire().release();

    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CircuitSettings.TRIAL_CALLS);
    assertThat(http.breaker().tryAcquire()).isNotNull();
  }

  @Test
  void aPermitTakenWhileClosedAndGivenBackWhileHalfOpenAddsNoTrial() {
    UpstreamBreaker.Permit old = http.breaker().tryAcquire(); // A call that began while closed.
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());
    assertThat(http.breaker().tryAcquire()).as("the trial").isNotNull();

    old.release(); // The old call ends telling nothing.

    assertThat(http.breaker().isTrialInFlight()).isTrue();
    assertThat(http.breaker().tryAcquire()).as("a second trial").isNull();
    assertThat(circuits.prefetch(CONCURRENCY)).isZero();
  }

  @Test
  void anOutcomeOfACallThatBeganWhileClosedDoesNotDecideTheTrial() {
    UpstreamBreaker.Permit old = http.breaker().tryAcquire(); // A call that began while closed.
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());
    UpstreamBreaker.Permit trial = http.breaker().tryAcquire();

    old.succeeded(1_000); // The old call answered.

    assertThat(http.breaker().isHalfOpen()).isTrue();
    assertThat(http.breaker().isTrialInFlight()).isTrue();
    trial.failed(1_000);
    assertThat(http.breaker().isOpen()).isTrue();
  }

  @Test
  void aTrialPermitGivenBackOnceTheBreakerClosedAddsNothing() {
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());
    UpstreamBreaker.Permit trial = http.breaker().tryAcquire();
    trial.succeeded(1_000);
    assertThat(http.breaker().isClosed()).isTrue();
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());
    assertThat(http.breaker().tryAcquire()).as("the second trial").isNotNull();

    trial.release(); // Ended already, and in another state.

    assertThat(http.breaker().tryAcquire()).as("a third trial").isNull();
    assertThat(http.breaker().isTrialInFlight()).isTrue();
  }

  @Test
  void closesAHalfOpenBreakerThatGetsNoTrialOnceTheServiceAcceptsConnections() {
    UpstreamGuard grpc = circuits.guard("grpc", this::probe);
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());

    // Only gRPC requests come: none can be the HTTP trial.
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isClosed());

    assertThat(grpc.breaker().isClosed()).isTrue();
    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CONCURRENCY);
  }

  @Test
  void opensAgainAHalfOpenBreakerThatGetsNoTrialOnceTheServiceRefusesConnections() {
    open();
    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isHalfOpen());

    reachable.set(false);

    await().atMost(Duration.ofSeconds(5)).until(() -> http.breaker().isOpen());
    assertThat(circuits.prefetch(CONCURRENCY)).isZero();
  }

  @Test
  void takesTheSmallestIntakeOfAllUpstreams() {
    UpstreamGuard grpc = circuits.guard("grpc", this::probe);
    for (int i = 0; i < 5; i++) {
      grpc.breaker().tryAcquire().failed(0);
    }

    assertThat(circuits.prefetch(CONCURRENCY)).isZero();
    assertThat(http.breaker().isClosed()).isTrue();
  }

  @Test
  void neverOpensWhenTurnedOff() {
    circuits.close();
    circuits = circuits(0);
    http = circuits.guard("http", this::probe);

    for (int i = 0; i < 100; i++) {
      http.breaker().tryAcquire().failed(0);
    }

    assertThat(http.breaker().isClosed()).isTrue();
    assertThat(circuits.prefetch(CONCURRENCY)).isEqualTo(CONCURRENCY);
  }

  @Test
  void retriesOnlyWithinTheLimitTheDeadlineAndTheBudget() {
    http.mayRetry(1, 50, 10_000).succeeded(0);
    assertThat(http.mayRetry(3, 50, 10_000)).isNull(); // --max-retries 2.
    assertThat(http.mayRetry(1, 1_000, 1_200)).isNull(); // No time left for the reply.
    for (int i = 1; i < RetryBudget.BURST; i++) {
      http.mayRetry(1, 50, 10_000).succeeded(0);
    }
    assertThat(http.mayRetry(1, 50, 10_000)).isNull(); // Budget spent.
  }

  @Test
  void backsOffFromFiftyMillisecondsDoublingUpToOneSecond() {
    assertThat(Retries.backoffMillis(1)).isEqualTo(50);
    assertThat(Retries.backoffMillis(2)).isEqualTo(100);
    assertThat(Retries.backoffMillis(5)).isEqualTo(800);
    assertThat(Retries.backoffMillis(9)).isEqualTo(1_000);
  }

  private void open() {
    calls(false, false, false, false, false);
    assertThat(http.breaker().isOpen()).isTrue();
  }

  /** Calls with a permit each: true succeeded, false failed. */
  private void calls(boolean... outcomes) {
    for (boolean ok : outcomes) {
      UpstreamBreaker.Permit permit = http.breaker().tryAcquire();
      assertThat(permit).isNotNull();
      if (ok) {
        permit.succeeded(1_000);
      } else {
        permit.failed(1_000);
      }
    }
  }

  private CompletableFuture<Boolean> probe() {
    return CompletableFuture.completedFuture(reachable.get());
  }

  private Circuits circuits(int window) {
    return new Circuits(new CircuitSettings(window, 5, 50, OPEN), 2, 20, registry);
  }
}
