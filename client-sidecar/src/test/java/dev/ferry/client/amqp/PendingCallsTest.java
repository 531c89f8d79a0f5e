package dev.ferry.client.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ferry.protocol.FerryError;
import dev.ferry.protocol.ResponseEnvelope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PendingCallsTest {
  private static final long LONG_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);

  private final ScheduledThreadPoolExecutor timer = timer();
  private final PendingCalls pending = new PendingCalls(2, timer);

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void completesRegisteredCallExactlyOnce() throws Exception {
    PendingCall call = pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS);
    ResponseEnvelope first = reply("c-1", 200);

    assertThat(call.correlationId()).isEqualTo("c-1");
    assertThat(call.service()).isEqualTo("echo");
    assertThat(call.isDone()).isFalse();
    assertThat(pending.size()).isEqualTo(1);

    assertThat(pending.complete("c-1", first)).isTrue();
    assertThat(pending.complete("c-1", reply("c-1", 500))).isFalse();

    assertThat(call.future().get(5, TimeUnit.SECONDS)).isSameAs(first);
    assertThat(pending.size()).isZero();
  }

  @Test
  void ignoresCompletionOfUnknownCall() {
    assertThat(pending.complete("nobody", reply("nobody", 200))).isFalse();
    assertThat(pending.fail("nobody", FerryError.BROKER_UNAVAILABLE, "gone")).isFalse();
    assertThat(pending.size()).isZero();
  }

  @Test
  void cancelsDeadlineWhenCallCompletes() {
    pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS);
    assertThat(timer.getQueue()).hasSize(1);

    pending.complete("c-1", reply("c-1", 200));

    assertThat(timer.getQueue()).isEmpty();
  }

  @Test
  void refusesRegistrationBeyondTheByteBoundUntilBytesAreReleased() {
    PendingCalls bounded = new PendingCalls(100, 1000, timer);
    assertThat(bounded.register("c-1", "echo", LONG_TIMEOUT_MILLIS, 600)).isNotNull();

    assertThat(bounded.register("c-2", "echo", LONG_TIMEOUT_MILLIS, 600)).isNull();
    assertThat(bounded.bytes()).isEqualTo(600);
    assertThat(bounded.size()).isEqualTo(1);

    bounded.complete("c-1", reply("c-1", 200));
    assertThat(bounded.bytes()).isZero();
    assertThat(bounded.register("c-2", "echo", LONG_TIMEOUT_MILLIS, 600)).isNotNull();
  }

  @Test
  void letsOneCallLargerThanTheByteBoundThroughWhenNothingWaits() {
    PendingCalls bounded = new PendingCalls(100, 1000, timer);

    assertThat(bounded.register("c-1", "echo", LONG_TIMEOUT_MILLIS, 5000)).isNotNull();
    assertThat(bounded.register("c-2", "echo", LONG_TIMEOUT_MILLIS, 1)).isNull();
  }

  @Test
  void refusesRegistrationBeyondMaxUntilOneLeaves() {
    assertThat(pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS)).isNotNull();
    assertThat(pending.register("c-2", "echo", LONG_TIMEOUT_MILLIS)).isNotNull();

    assertThat(pending.register("c-3", "echo", LONG_TIMEOUT_MILLIS)).isNull();
    assertThat(pending.size()).isEqualTo(2);
    assertThat(timer.getQueue()).hasSize(2);

    pending.complete("c-1", reply("c-1", 200));
    assertThat(pending.register("c-3", "echo", LONG_TIMEOUT_MILLIS)).isNotNull();
    assertThat(pending.size()).isEqualTo(2);
  }

  @Test
  void completesWithTimeoutErrorAtTheDeadline() throws Exception {
    PendingCall call = pending.register("c-1", "echo", 20);

    ResponseEnvelope outcome = call.future().get(5, TimeUnit.SECONDS);

    assertThat(outcome.error()).isEqualTo(FerryError.TIMEOUT);
    assertThat(outcome.status()).isEqualTo(504);
    assertThat(outcome.correlationId()).isEqualTo("c-1");
    assertThat(outcome.queueMillis()).isEqualTo(-1);
    // The call is handed its outcome first, then leaves the count (on the timer's thread).
    await().atMost(Duration.ofSeconds(5)).until(() -> pending.size() == 0);
    assertThat(pending.complete("c-1", reply("c-1", 200))).as("late reply").isFalse();
  }

  @Test
  void failsOneCallWithSidecarError() throws Exception {
    PendingCall call = pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS);

    assertThat(pending.fail("c-1", FerryError.NO_ROUTE, "no queue")).isTrue();

    ResponseEnvelope outcome = call.future().get(5, TimeUnit.SECONDS);
    assertThat(outcome.error()).isEqualTo(FerryError.NO_ROUTE);
    assertThat(new String(outcome.body())).isEqualTo("ferry: no-route: no queue\n");
  }

  @Test
  void failsEveryPendingCall() throws Exception {
    PendingCalls calls = new PendingCalls(10, timer);
    List<PendingCall> registered =
        List.of(
            calls.register("c-1", "echo", LONG_TIMEOUT_MILLIS),
            calls.register("c-2", "echo", LONG_TIMEOUT_MILLIS),
            calls.register("c-3", "other", LONG_TIMEOUT_MILLIS));

    calls.failAll(FerryError.SHUTTING_DOWN, "client closed");

    for (PendingCall call : registered) {
      ResponseEnvelope outcome = call.future().get(5, TimeUnit.SECONDS);
      assertThat(outcome.error()).isEqualTo(FerryError.SHUTTING_DOWN);
      assertThat(outcome.correlationId()).isEqualTo(call.correlationId());
    }
    assertThat(calls.size()).isZero();
    assertThat(timer.getQueue()).isEmpty();
  }

  @Test
  void awaitsEmptyAtOnceWhenNothingIsPending() throws Exception {
    assertThat(pending.awaitEmpty(0)).isTrue();
  }

  @Test
  void givesUpAwaitingEmptyWhileACallIsPending() throws Exception {
    pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS);

    assertThat(pending.awaitEmpty(TimeUnit.MILLISECONDS.toNanos(1))).isFalse();
  }

  @Test
  void wakesAwaitEmptyWhenTheLastCallCompletes() throws Exception {
    pending.register("c-1", "echo", LONG_TIMEOUT_MILLIS);
    pending.register("c-2", "echo", LONG_TIMEOUT_MILLIS);
    CompletableFuture<Boolean> empty = new CompletableFuture<>();
    Thread waiter =
        new Thread(
            () -> {
              try {
                empty.complete(pending.awaitEmpty(TimeUnit.MINUTES.toNanos(1)));
              } catch (InterruptedException e) {
                empty.completeExceptionally(e);
              }
            },
            "await-empty");
    waiter.start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> waiter.getState() == Thread.State.TIMED_WAITING);

    pending.complete("c-1", reply("c-1", 200));
    assertThat(empty).isNotDone();
    pending.fail("c-2", FerryError.TIMEOUT, "late");

    assertThat(empty.get(5, TimeUnit.SECONDS)).isTrue();
  }

  private static ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  private static ResponseEnvelope reply(String correlationId, int status) {
    return new ResponseEnvelope(correlationId, status, List.of(), new byte[0], null, 5);
  }
}
