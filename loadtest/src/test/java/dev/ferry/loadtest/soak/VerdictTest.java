package dev.ferry.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.loadtest.soak.Verdict.EndState;
import dev.ferry.loadtest.soak.Verdict.ProcessFacts;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The verdict on made-up answers, executions and faults, with times in milliseconds from 0. */
class VerdictTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private static final long MS = 1_000_000;
  private static final EndState CLEAN = new EndState(0, 0, 0, 0);

  private final Executions executions = new Executions();
  private final List<Call> calls = new ArrayList<>();
  private final List<FaultEvent> faults = new ArrayList<>();
  private final List<ProcessFacts> processes =
      new ArrayList<>(
          List.of(
              new ProcessFacts(1, -1, -1), new ProcessFacts(2, 0, -1), new ProcessFacts(3, 1, -1)));

  @Test
  void countsOwnAnswersAndSidecarErrorsAndHoldsWhenNothingElseHappened() {
    Call answered = call("a", 0);
    answered.answer().complete(own("a", 2, 40));
    executions.add("a", new Execution(2, 10 * MS, false));
    call("b", 0).answer().complete(new Answer(5000 * MS, 504, "timeout", null, "", null));

    Verdict verdict = judge(CLEAN);

    assertThat(counts(verdict))
        .containsEntry("sent", 2L)
        .containsEntry("ok", 1L)
        .containsEntry("sidecarErrors", 1L);
    assertThat(verdict.holds()).isTrue();
    assertThat(verdict.json().get("sidecarErrorsByKind")).isEqualTo(Map.of("504 timeout", 1L));
    assertThat(verdict.lines()).anyMatch(line -> line.contains("NO ANSWER") && line.endsWith("ok"));
  }

  @Test
  void countsEveryAnswerThatBreaksAnInvariant() {
    call("wrong", 0).answer().complete(own("other", 2, 30));
    executions.add("wrong", new Execution(2, 10 * MS, false));
    call("unmarked", 0).answer().complete(new Answer(30 * MS, 500, null, null, "", null));
    call("lost", 0).answer().complete(Answer.failed(15_000 * MS, new HttpTimeoutException("x")));
    call("waiting", 0);
    call("late", 0).answer().complete(own("late", 2, 6_500));
    executions.add("late", new Execution(2, 10 * MS, false));
    call("fabricated", 0).answer().complete(own("fabricated", 2, 30));

    Verdict verdict = judge(CLEAN);

    assertThat(counts(verdict))
        .containsEntry("ok", 2L)
        .containsEntry("wrongAnswer", 1L)
        .containsEntry("unmarkedError", 1L)
        .containsEntry("noAnswer", 2L)
        .containsEntry("late", 1L)
        .containsEntry("okNeverExecuted", 1L);
    assertThat(verdict.holds()).isFalse();
    assertThat(verdict.json().get("failed"))
        .isEqualTo(List.of("noAnswer", "late", "wrongAnswer", "unmarkedError", "okNeverExecuted"));
    assertThat(verdict.lines())
        .anyMatch(line -> line.contains("NO ANSWER") && line.contains("FAILED, must be 0"));
  }

  @Test
  void countsDocumentedRepeatsApartFromOthers() {
    processes.set(1, new ProcessFacts(2, 0, 100 * MS)); // p2 SIGKILLed at 100 ms.
    executedTwice("killed", 0, new Execution(2, 50 * MS, false), new Execution(3, 300 * MS, true));
    faults.add(new FaultEvent(1000 * MS, 1000 * MS, FaultKind.CUT_SERVER, 1, 3, ""));
    executedTwice("cut", 800, new Execution(3, 900 * MS, false), new Execution(2, 1200 * MS, true));
    faults.add(new FaultEvent(2000 * MS, 2000 * MS, FaultKind.CUT_CLIENT, -1, 1, ""));
    executedTwice(
        "republished",
        1950,
        new Execution(2, 1990 * MS, false),
        new Execution(3, 2500 * MS, false));
    executedTwice(
        "twice", 3000, new Execution(3, 3010 * MS, false), new Execution(3, 3100 * MS, true));

    Verdict verdict = judge(CLEAN);

    assertThat(counts(verdict))
        .containsEntry("ok", 4L)
        .containsEntry("executedTwiceAfterSigkill", 1L)
        .containsEntry("executedTwiceAfterServerCut", 1L)
        .containsEntry("executedTwiceAfterClientRepublish", 1L)
        .containsEntry("executedMoreThanOnceOtherwise", 1L);
    assertThat(verdict.json().get("failed")).isEqualTo(List.of("executedMoreThanOnceOtherwise"));
  }

  @Test
  void aRepeatOnTheSameServerAfterACutIsNotDocumented() {
    faults.add(new FaultEvent(1000 * MS, 1000 * MS, FaultKind.CUT_SERVER, 1, 3, ""));
    executedTwice(
        "same", 800, new Execution(3, 900 * MS, false), new Execution(3, 1200 * MS, true));

    assertThat(counts(judge(CLEAN))).containsEntry("executedMoreThanOnceOtherwise", 1L);
  }

  @Test
  void countsExecutionsThatStartedAfterTheDeadlineAndOfNoRequest() {
    call("expired", 0).answer().complete(new Answer(5000 * MS, 504, "timeout", null, "", null));
    executions.add("expired", new Execution(2, 6_100 * MS, true));
    call("in-time", 0).answer().complete(new Answer(5000 * MS, 504, "timeout", null, "", null));
    executions.add("in-time", new Execution(2, 5_900 * MS, true));
    executions.add("nobody", new Execution(2, 10 * MS, false));
    executions.arrived("GET", "/elsewhere", new DefaultHttpHeaders());

    Verdict verdict = judge(CLEAN);

    assertThat(counts(verdict))
        .containsEntry("executionsAfterDeadline", 1L)
        .containsEntry("strayExecutions", 2L)
        .containsEntry("errorsExecuted", 2L);
  }

  @Test
  void needsAnIdleClientAnEmptyQueueAndEverythingClosedAfterTheRun() {
    Verdict verdict = judge(new EndState(-1, 3, 1, 1));

    assertThat(verdict.json().get("failed"))
        .isEqualTo(
            List.of("clientPending", "queueMessages", "openConnections", "unstoppedSidecars"));
  }

  private Call call(String token, long sentMillis) {
    Call call =
        new Call(
            token,
            "/soak/" + token + "?delay=0",
            sentMillis * MS,
            DEADLINE,
            new CompletableFuture<>());
    calls.add(call);
    return call;
  }

  private void executedTwice(String token, long sentMillis, Execution first, Execution second) {
    call(token, sentMillis).answer().complete(own(token, second.process(), sentMillis + 2000));
    executions.add(token, first);
    executions.add(token, second);
  }

  /** The echo's answer for {@code token}, as server sidecar process {@code process} got it. */
  private static Answer own(String token, int process, long atMillis) {
    return new Answer(
        atMillis * MS,
        200,
        null,
        Executions.basePath(process) + "/soak/" + token + "?delay=0",
        token,
        null);
  }

  private Verdict judge(EndState end) {
    return new Verdict(calls, executions, processes, faults, end);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> counts(Verdict verdict) {
    return (Map<String, Object>) verdict.json().get("counts");
  }
}
