package dev.ferry.loadtest.soak;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The invariant counts of one soak, from every request's answer, every execution the service saw,
 * the sidecar processes, the faults, and the state after the run ({@link EndState}).
 */
final class Verdict {
  /**
   * How late an answer or an execution may be: the sidecar starts its clock when it reads the
   * request.
   */
  static final Duration SLACK = Duration.ofSeconds(1);

  private static final int EXAMPLES = 10;

  /**
   * What the soak found after the load: the client sidecar's pending calls (-1: unreadable),
   * requests left in the queue (-1: unreadable), broker connections still open through the proxies,
   * and sidecars that had to be SIGKILLed because SIGTERM did not stop them.
   */
  record EndState(long clientPending, long queueMessages, int openConnections, int unstopped) {}

  /**
   * What the verdict needs to know of a sidecar process: its {@link SidecarProcess#id()}, its slot
   * (-1: the client sidecar) and when the soak SIGKILLed it (-1: never).
   */
  record ProcessFacts(int id, int slot, long killedNanos) {
    static ProcessFacts of(SidecarProcess process) {
      return new ProcessFacts(process.id(), process.slot(), process.killedNanos());
    }
  }

  /** One line of the result: a count, and whether it must be 0. */
  record Count(String key, String label, long value, boolean mustBeZero, String detail) {
    boolean holds() {
      return !mustBeZero || value == 0;
    }
  }

  private final Map<Integer, ProcessFacts> processes = new HashMap<>();
  private final List<FaultEvent> faults;
  private final Map<String, Long> errors = new TreeMap<>();
  private final Map<String, Long> noAnswer = new TreeMap<>();
  private final Map<String, Long> unmarked = new TreeMap<>();
  private final Map<Repeat, Long> repeats = new EnumMap<>(Repeat.class);
  private final Map<String, List<String>> examples = new TreeMap<>();
  private long ok;
  private long late;
  private long wrong;
  private long neverExecuted;
  private long failedButExecuted;
  private long expired;
  private long stray;
  private final List<Count> counts = new ArrayList<>();

  Verdict(
      List<Call> calls,
      Executions executions,
      List<ProcessFacts> processes,
      List<FaultEvent> faults,
      EndState end) {
    processes.forEach(process -> this.processes.put(process.id(), process));
    this.faults = List.copyOf(faults);
    Set<String> tokens = new HashSet<>();
    for (Call call : calls) {
      tokens.add(call.token());
      judgeAnswer(call);
      judgeExecutions(call, executions.of(call.token()));
    }
    stray = executions.stray();
    for (String token : executions.tokens()) {
      if (!tokens.contains(token)) {
        stray += executions.of(token).size();
      }
    }
    tally(calls.size(), end);
  }

  private void judgeAnswer(Call call) {
    Answer answer = call.answer().getNow(null);
    if (answer == null) {
      noAnswer.merge("still waiting at the end", 1L, Long::sum);
      example("noAnswer", call.target() + ": still waiting at the end");
      return;
    }
    if (!answer.answered()) {
      noAnswer.merge(answer.kind(), 1L, Long::sum);
      example("noAnswer", call.target() + ": " + answer.failure());
      return;
    }
    long tookMillis = (answer.atNanos() - call.sentNanos()) / 1_000_000;
    if (tookMillis > call.deadline().plus(SLACK).toMillis()) {
      late++;
      example("late", call.target() + ": " + answer.kind() + " after " + tookMillis + " ms");
    }
    if (answer.success()) {
      if (answer.isOwnAnswerTo(call)) {
        ok++;
      } else {
        wrong++;
        example(
            "wrongAnswer",
            call.target() + ": got x-echo-uri " + answer.echoUri() + ", body " + answer.body());
      }
    } else if (answer.markedSidecarError()) {
      errors.merge(answer.kind(), 1L, Long::sum);
    } else {
      unmarked.merge(answer.kind(), 1L, Long::sum);
      example("unmarkedError", call.target() + ": " + answer.kind());
    }
  }

  private void judgeExecutions(Call call, List<Execution> executions) {
    Answer answer = call.answer().getNow(null);
    if (executions.isEmpty() && answer != null && answer.isOwnAnswerTo(call)) {
      neverExecuted++;
      example("okNeverExecuted", call.target());
    }
    if (!executions.isEmpty() && answer != null && !answer.success()) {
      failedButExecuted++; // E.g. a 504 while the service worked, or a 503 for an unconfirmed
      // publish.
    }
    for (Execution execution : executions) {
      long overMillis = (execution.atNanos() - call.deadlineNanos()) / 1_000_000;
      if (overMillis > SLACK.toMillis()) {
        expired++;
        example(
            "executionsAfterDeadline",
            call.target() + ": p" + execution.process() + " " + overMillis + " ms after");
      }
    }
    if (executions.size() > 1) {
      Repeat worst = Repeat.SIGKILL;
      for (int i = 1; i < executions.size(); i++) {
        Repeat cause = cause(call, executions.get(i - 1), executions.get(i));
        worst = cause.compareTo(worst) > 0 ? cause : worst;
      }
      repeats.merge(worst, 1L, Long::sum);
      example(worst.key(), describe(call, executions));
    }
  }

  /** Why {@code next} executed {@code call} again after {@code previous}. */
  private Repeat cause(Call call, Execution previous, Execution next) {
    ProcessFacts first = processes.get(previous.process());
    if (first == null) {
      return Repeat.OTHER;
    }
    if (next.redelivered() && between(first.killedNanos(), previous, next)) {
      return Repeat.SIGKILL;
    }
    boolean elsewhere = next.process() != previous.process();
    if (next.redelivered() && elsewhere && cutBetween(first.slot(), previous, next)) {
      return Repeat.SERVER_CUT;
    }
    if (!next.redelivered() && elsewhere && clientCutBetween(call.sentNanos(), next.atNanos())) {
      return Repeat.CLIENT_REPUBLISH;
    }
    return Repeat.OTHER;
  }

  private static boolean between(long at, Execution previous, Execution next) {
    return at >= previous.atNanos() && at <= next.atNanos();
  }

  private boolean cutBetween(int slot, Execution previous, Execution next) {
    return faults.stream()
        .anyMatch(
            f ->
                f.kind() == FaultKind.CUT_SERVER
                    && f.slot() == slot
                    && between(f.atNanos(), previous, next));
  }

  private boolean clientCutBetween(long from, long to) {
    return faults.stream()
        .anyMatch(
            f -> f.kind() == FaultKind.CUT_CLIENT && f.atNanos() >= from && f.atNanos() <= to);
  }

  private String describe(Call call, List<Execution> executions) {
    StringBuilder text = new StringBuilder(call.target()).append(": executed");
    for (Execution execution : executions) {
      text.append(" by p")
          .append(execution.process())
          .append(" at ")
          .append((execution.atNanos() - call.sentNanos()) / 1_000_000)
          .append(" ms")
          .append(execution.redelivered() ? " (redelivered)" : "");
    }
    Answer answer = call.answer().getNow(null);
    return text.append("; answer ").append(answer == null ? "none" : answer.kind()).toString();
  }

  private void example(String key, String text) {
    List<String> list = examples.computeIfAbsent(key, k -> new ArrayList<>());
    if (list.size() < EXAMPLES) {
      list.add(text);
    }
  }

  private void tally(long sent, EndState end) {
    counts.add(new Count("sent", "sent", sent, false, ""));
    counts.add(new Count("ok", "ok: the service's own answer", ok, false, ""));
    counts.add(
        new Count(
            "sidecarErrors",
            "sidecar errors: 5xx with ferry-error",
            sum(errors),
            false,
            mapDetail(errors)));
    must("noAnswer", "NO ANSWER", sum(noAnswer), mapDetail(noAnswer));
    must("late", "answered late: after the deadline + 1 s", late, "");
    must("wrongAnswer", "wrong answer: another request's", wrong, "");
    must("unmarkedError", "error without ferry-error", sum(unmarked), mapDetail(unmarked));
    must("okNeverExecuted", "answered ok, never executed", neverExecuted, "");
    counts.add(
        new Count(
            "errorsExecuted",
            "answered with an error, executed all the same",
            failedButExecuted,
            false,
            "info"));
    for (Repeat repeat : Repeat.values()) {
      long value = repeats.getOrDefault(repeat, 0L);
      if (repeat.documented()) {
        counts.add(new Count(repeat.key(), repeat.label(), value, false, "at-least-once"));
      } else {
        must(repeat.key(), repeat.label(), value, "");
      }
    }
    must("executionsAfterDeadline", "executions started after the deadline + 1 s", expired, "");
    must("strayExecutions", "executions of no request sent", stray, "");
    must("clientPending", "client pending after the run", end.clientPending(), "");
    must("queueMessages", "requests left in the queue", end.queueMessages(), "");
    must("openConnections", "broker connections left open", end.openConnections(), "");
    must("unstoppedSidecars", "sidecars SIGTERM did not stop", end.unstopped(), "");
  }

  private void must(String key, String label, long value, String detail) {
    counts.add(new Count(key, label, value, true, detail));
  }

  private static String mapDetail(Map<String, Long> map) {
    return map.isEmpty() ? "" : map.toString();
  }

  private static long sum(Map<String, Long> map) {
    return map.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Whether every invariant holds. */
  boolean holds() {
    return counts.stream().allMatch(Count::holds);
  }

  /** The result block, one line per count. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (Count count : counts) {
      String note = count.mustBeZero() ? (count.holds() ? "ok" : "FAILED, must be 0") : "";
      String detail = (note + " " + count.detail()).trim();
      lines.add(
          String.format("  %-66s %8d  %s", count.label(), count.value(), detail).stripTrailing());
    }
    return lines;
  }

  /** The counts, what must be 0, and examples of what broke, for the JSON summary. */
  Map<String, Object> json() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("holds", holds());
    Map<String, Object> values = new LinkedHashMap<>();
    List<String> mustBeZero = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (Count count : counts) {
      values.put(count.key(), count.value());
      if (count.mustBeZero()) {
        mustBeZero.add(count.key());
      }
      if (!count.holds()) {
        failed.add(count.key());
      }
    }
    json.put("counts", values);
    json.put("sidecarErrorsByKind", new LinkedHashMap<>(errors));
    json.put("noAnswerByKind", new LinkedHashMap<>(noAnswer));
    json.put("mustBeZero", mustBeZero);
    json.put("failed", failed);
    json.put("examples", new LinkedHashMap<>(examples));
    return json;
  }
}
