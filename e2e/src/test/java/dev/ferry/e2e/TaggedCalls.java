package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * HTTP calls through a client sidecar to the echo upstream, each with a token of its own in its
 * path, and the invariants the fault tests check on their outcomes: every call gets exactly one
 * answer by its deadline ({@code ferry-timeout}), and that answer is either the service's own for
 * this very call (2xx, {@code x-echo-uri} is the call's target) or a marked sidecar error (5xx with
 * {@code ferry-error}). Thread-safe.
 */
final class TaggedCalls {
  /** How late after its deadline an answer may still arrive: the sidecar's timer and the write. */
  private static final Duration SLACK = Duration.ofSeconds(1);

  /** How long the HTTP client waits beyond the deadline before it calls the call unanswered. */
  private static final Duration GRACE = Duration.ofSeconds(10);

  private final int port;
  private final String name;
  private final AtomicInteger sequence = new AtomicInteger();
  private final List<CompletableFuture<Outcome>> sent = new CopyOnWriteArrayList<>();

  /** How one call ended; {@code failure} is set when no HTTP answer came at all. */
  record Outcome(
      String target,
      Duration deadline,
      Duration took,
      int status,
      String ferryError,
      String echoUri,
      Throwable failure) {

    boolean succeeded() {
      return failure == null && status / 100 == 2;
    }

    /** {@code 200}, {@code 503 broker-unavailable}, or {@code no answer: <exception>}. */
    String kind() {
      if (failure != null) {
        return "no answer: " + failure.getClass().getSimpleName();
      }
      return ferryError == null ? Integer.toString(status) : status + " " + ferryError;
    }
  }

  /** Calls through the client sidecar listening on {@code port}; paths start {@code /name/}. */
  TaggedCalls(int port, String name) {
    this.port = port;
    this.name = name;
  }

  /**
   * Sends a GET with its own token and {@code query} (may be empty), due within {@code deadline}.
   */
  CompletableFuture<Outcome> send(String query, Duration deadline) {
    return send(query, deadline, null);
  }

  /** Sends a POST of {@code body} (the echo sends it back), or a GET when it is null. */
  CompletableFuture<Outcome> send(String query, Duration deadline, byte[] body) {
    String target =
        "/"
            + name
            + "/"
            + sequence.incrementAndGet()
            + "-"
            + UUID.randomUUID()
            + (query.isEmpty() ? "" : "?" + query);
    HttpRequest request =
        Http.request(port, target)
            .timeout(deadline.plus(GRACE))
            .header("ferry-timeout", deadline.toMillis() + "ms")
            .method(
                body == null ? "GET" : "POST",
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    long started = System.nanoTime();
    CompletableFuture<Outcome> outcome =
        Http.CLIENT
            .sendAsync(request, HttpResponse.BodyHandlers.discarding())
            .handle(
                (response, failure) -> {
                  Duration took = Duration.ofNanos(System.nanoTime() - started);
                  if (failure != null) {
                    return new Outcome(target, deadline, took, -1, null, null, failure);
                  }
                  return new Outcome(
                      target,
                      deadline,
                      took,
                      response.statusCode(),
                      response.headers().firstValue("ferry-error").orElse(null),
                      response.headers().firstValue("x-echo-uri").orElse(null),
                      null);
                });
    sent.add(outcome);
    return outcome;
  }

  /** Sends one call and waits for its outcome. */
  Outcome call(String query, Duration deadline) {
    return send(query, deadline).join();
  }

  /** Waits for every call sent so far (each is bounded by its deadline plus a grace). */
  List<Outcome> awaitAll() throws Exception {
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
    List<Outcome> outcomes = new ArrayList<>();
    for (CompletableFuture<Outcome> outcome : sent) {
      outcomes.add(outcome.join());
    }
    return outcomes;
  }

  /** How many calls ended which way, e.g. {@code {200=31, 503 broker-unavailable=19}}. */
  static Map<String, Long> tally(List<Outcome> outcomes) {
    return outcomes.stream()
        .collect(Collectors.groupingBy(Outcome::kind, TreeMap::new, Collectors.counting()));
  }

  /** Exactly one outcome per call, by its deadline, its own or a marked sidecar error. */
  static void assertInvariants(List<Outcome> outcomes) {
    assertThat(outcomes)
        .allSatisfy(
            outcome -> {
              assertThat(outcome.failure()).as("%s: an HTTP answer", outcome.target()).isNull();
              assertThat(outcome.took())
                  .as("%s: answered by its deadline %s", outcome.target(), outcome.deadline())
                  .isLessThanOrEqualTo(outcome.deadline().plus(SLACK));
              if (outcome.status() / 100 == 2) {
                assertThat(outcome.ferryError()).as("%s: ferry-error", outcome.target()).isNull();
                assertThat(outcome.echoUri())
                    .as("%s: its own answer, not another caller's", outcome.target())
                    .isEqualTo(outcome.target());
              } else {
                assertThat(outcome.status())
                    .as("%s: a sidecar error is a 5xx", outcome.target())
                    .isBetween(500, 599);
                assertThat(outcome.ferryError())
                    .as("%s: a sidecar error is marked", outcome.target())
                    .isNotNull();
              }
            });
  }
}
