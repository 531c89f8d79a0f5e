package dev.ferry.loadtest.soak;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's open-loop load: POSTs to the client sidecar at a fixed rate on one scheduler thread,
 * never waiting for answers. Each request has a token of its own in its path and body, a random
 * {@code delay} for the echo (most short, some up to 40% of the deadline, so that faults find
 * requests in the middle of their execution) and {@code ferry-timeout}; the HTTP client gives up
 * {@link #GRACE} after the deadline, which makes it a request with no answer.
 *
 * <p>POST, not GET: the JDK HTTP client may retry an idempotent request on its own, which would
 * execute a token twice. Owns its scheduler; {@link #close()} stops it. Thread-safe.
 */
final class Load implements AutoCloseable {
  /** How long past its deadline a request may go unanswered before the HTTP client gives up. */
  static final Duration GRACE = Duration.ofSeconds(10);

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "soak-load");
            thread.setDaemon(true);
            return thread;
          });
  private final URI base;
  private final Duration deadline;
  private final Random random;
  private final List<Call> calls = new ArrayList<>(); // Guarded by itself.
  private final LongAdder answered = new LongAdder();
  private final Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
  private long sequence; // Only the scheduler thread sends.

  Load(int httpPort, Duration deadline, long seed) {
    this.base = URI.create("http://127.0.0.1:" + httpPort);
    this.deadline = deadline;
    this.random = new Random(seed);
  }

  /** Starts sending {@code rate} requests per second. */
  void start(int rate) {
    scheduler.scheduleAtFixedRate(
        this::sendOne, 0, TimeUnit.SECONDS.toNanos(1) / rate, TimeUnit.NANOSECONDS);
  }

  /** Sends nothing more; returns once no request is being sent. */
  void stop() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(10, TimeUnit.SECONDS);
  }

  private void sendOne() {
    sequence++;
    String token = sequence + "-" + HexFormat.of().toHexDigits(random.nextInt());
    String target = "/soak/" + token + "?delay=" + delayMillis();
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(target))
            .timeout(deadline.plus(GRACE))
            .header("ferry-timeout", deadline.toMillis() + "ms")
            .header("content-type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(token, StandardCharsets.US_ASCII))
            .build();
    long sent = System.nanoTime();
    CompletableFuture<Answer> answer =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII))
            .handle((response, failure) -> answer(response, failure));
    synchronized (calls) {
      calls.add(new Call(token, target, sent, deadline, answer));
    }
    answer.thenAccept(
        a -> {
          answered.increment();
          kinds.computeIfAbsent(a.kind(), k -> new LongAdder()).increment();
        });
  }

  private static Answer answer(HttpResponse<String> response, Throwable failure) {
    long at = System.nanoTime();
    if (failure != null) {
      return Answer.failed(
          at,
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure);
    }
    return new Answer(
        at,
        response.statusCode(),
        response.headers().firstValue("ferry-error").orElse(null),
        response.headers().firstValue("x-echo-uri").orElse(null),
        response.body(),
        null);
  }

  /** Mostly short (0..200 ms), one in ten up to 40% of the deadline. */
  private long delayMillis() {
    long bound = random.nextInt(10) == 0 ? Math.max(1, deadline.toMillis() * 2 / 5) : 200;
    return random.nextLong(bound + 1);
  }

  /** Every request sent so far. */
  List<Call> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  long sent() {
    synchronized (calls) {
      return calls.size();
    }
  }

  long answered() {
    return answered.sum();
  }

  /** How many answers of each {@link Answer#kind()} so far, e.g. {@code {200=930, 504 ...}}. */
  Map<String, Long> tally() {
    Map<String, Long> tally = new TreeMap<>();
    kinds.forEach((kind, count) -> tally.put(kind, count.sum()));
    return tally;
  }

  /** Waits until every request sent has its answer, at most {@code max}; false if some have not. */
  boolean awaitAnswers(Duration max) throws InterruptedException {
    try {
      CompletableFuture.allOf(calls().stream().map(Call::answer).toArray(CompletableFuture[]::new))
          .get(max.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
