package dev.ferry.loadtest.scale;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The simulation's open-loop load: POSTs {@code /scale/<n>?delay=<ms>} with body {@code <n>} to the
 * client sidecar following a {@link LoadPattern} on a thread of its own, never waiting for answers.
 * Each request carries {@code ferry-timeout} (the deadline) and remembers the replica count when it
 * was sent; its answer is the echo's only if it is 2xx and the body came back. Also counts what the
 * echo executed ({@link #arrived}). POST, not GET: the JDK HTTP client may retry an idempotent
 * request on its own. Thread-safe; {@link #close()} stops sending.
 */
final class ScaleLoad implements AutoCloseable {
  /** How long past its deadline a request may go unanswered before the HTTP client gives up. */
  static final Duration GRACE = Duration.ofSeconds(10);

  private static final String PATH = "/scale/";

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final Duration deadline;
  private final Duration delay;
  private final IntSupplier replicas;
  private final List<Request> requests = new ArrayList<>(); // Guarded by itself.
  private final Map<Long, LongAdder> executions = new ConcurrentHashMap<>();
  private final LongAdder ok = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final Recorder latencies = new Recorder(3);
  private final Histogram allLatencies = new Histogram(3); // Guarded by this.
  private Thread sender;
  private long reportedSent; // Guarded by this, as are the two below.
  private long reportedOk;
  private long reportedFailed;

  /**
   * One request sent.
   *
   * @param seq its number, from 1
   * @param sentNanos when ({@link System#nanoTime()})
   * @param replicasAtSend the replica count then
   * @param answer completes once with what came back (never exceptionally)
   */
  record Request(long seq, long sentNanos, int replicasAtSend, CompletableFuture<Answer> answer) {}

  /**
   * What came back for one request.
   *
   * @param atNanos when ({@link System#nanoTime()})
   * @param status the HTTP status (0 with {@code failure})
   * @param ferryError the {@code ferry-error} header, or null
   * @param echoed whether the body was the request's own
   * @param failure why no HTTP answer came, or null
   */
  record Answer(long atNanos, int status, String ferryError, boolean echoed, String failure) {
    boolean ok() {
      return failure == null && status / 100 == 2 && echoed;
    }

    /** {@code ok}, {@code 504 timeout}, {@code 200 wrong body} or {@code no answer (...)}. */
    String kind() {
      if (failure != null) {
        return "no answer (" + failure + ")";
      }
      if (ok()) {
        return "ok";
      }
      return status + (ferryError != null ? " " + ferryError : echoed ? "" : " wrong body");
    }
  }

  /**
   * What happened since the previous {@link #interval()}.
   *
   * @param sent requests sent
   * @param ok answered by the echo
   * @param failed answered otherwise, or not at all
   * @param p50Millis median latency of the answers by the echo; NaN without any
   * @param p99Millis their 99th percentile; NaN without any
   */
  record Interval(long sent, long ok, long failed, double p50Millis, double p99Millis) {}

  /**
   * @param deadline each request's {@code ferry-timeout}
   * @param delay the echo's {@code delay}
   * @param replicas the replica count now, read as each request is sent
   */
  ScaleLoad(Duration deadline, Duration delay, IntSupplier replicas) {
    this.deadline = deadline;
    this.delay = delay;
    this.replicas = replicas;
  }

  /** The echo's observer: counts each execution of a request of this load. */
  void arrived(String method, String uri, HttpHeaders headers) {
    if (!uri.startsWith(PATH)) {
      return;
    }
    int end = uri.indexOf('?');
    try {
      long seq = Long.parseLong(uri.substring(PATH.length(), end < 0 ? uri.length() : end));
      executions.computeIfAbsent(seq, s -> new LongAdder()).increment();
    } catch (NumberFormatException e) {
      // Not one of ours.
    }
  }

  /** Starts sending to the client sidecar on {@code httpPort}, the pattern starting at origin. */
  synchronized void start(int httpPort, LoadPattern pattern, long originNanos) {
    URI base = URI.create("http://127.0.0.1:" + httpPort);
    sender = new Thread(() -> send(base, pattern, originNanos), "scale-load");
    sender.setDaemon(true);
    sender.start();
  }

  /** Waits (at most {@code max}) until the pattern has been sent; true if it has. */
  boolean awaitSent(Duration max) throws InterruptedException {
    Thread thread;
    synchronized (this) {
      thread = sender;
    }
    thread.join(Math.max(1, max.toMillis()));
    return !thread.isAlive();
  }

  private void send(URI base, LoadPattern pattern, long originNanos) {
    long phaseStart = originNanos;
    try {
      for (LoadPattern.Phase phase : pattern.phases()) {
        long phaseEnd = phaseStart + phase.duration().toNanos();
        if (phase.rate() > 0) {
          double every = 1e9 / phase.rate();
          for (long i = 0; phaseStart + (long) (i * every) < phaseEnd; i++) {
            sleepUntil(phaseStart + (long) (i * every));
            sendOne(base);
          }
        }
        sleepUntil(phaseEnd); // An idle phase lasts as long as written, a trailing one too.
        phaseStart = phaseEnd;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // Closed: stop sending.
    }
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait = nanos - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private void sendOne(URI base) {
    long seq;
    synchronized (requests) {
      seq = requests.size() + 1;
    }
    String token = Long.toString(seq);
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(PATH + seq + "?delay=" + delay.toMillis()))
            .timeout(deadline.plus(GRACE))
            .header("ferry-timeout", deadline.toMillis() + "ms")
            .header("content-type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(token, StandardCharsets.US_ASCII))
            .build();
    long sent = System.nanoTime();
    int replicasNow = replicas.getAsInt();
    CompletableFuture<Answer> answer =
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII))
            .handle((response, failure) -> answer(token, response, failure));
    synchronized (requests) {
      requests.add(new Request(seq, sent, replicasNow, answer));
    }
    answer.thenAccept(a -> count(a, sent));
  }

  private void count(Answer answer, long sentNanos) {
    if (answer.ok()) {
      latencies.recordValue(Math.max(0, (answer.atNanos() - sentNanos) / 1000));
      ok.increment();
    } else {
      failed.increment();
    }
  }

  private static Answer answer(String token, HttpResponse<String> response, Throwable failure) {
    long at = System.nanoTime();
    if (failure != null) {
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      return new Answer(at, 0, null, false, cause.getClass().getSimpleName());
    }
    return new Answer(
        at,
        response.statusCode(),
        response.headers().firstValue("ferry-error").orElse(null),
        token.equals(response.body()),
        null);
  }

  /** What happened since the previous call (the first: since the start). */
  synchronized Interval interval() {
    Histogram histogram = latencies.getIntervalHistogram();
    allLatencies.add(histogram);
    long sent = sent();
    long okNow = ok.sum();
    long failedNow = failed.sum();
    Interval interval =
        new Interval(
            sent - reportedSent,
            okNow - reportedOk,
            failedNow - reportedFailed,
            percentileMillis(histogram, 50),
            percentileMillis(histogram, 99));
    reportedSent = sent;
    reportedOk = okNow;
    reportedFailed = failedNow;
    return interval;
  }

  /** Latencies of every answer by the echo reported by {@link #interval()} so far, in µs. */
  synchronized Histogram latencies() {
    return allLatencies.copy();
  }

  long sent() {
    synchronized (requests) {
      return requests.size();
    }
  }

  /** Requests sent and not answered yet. */
  long unanswered() {
    return sent() - ok.sum() - failed.sum();
  }

  /** Every request sent so far. */
  List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** How often the echo executed each request of this load that reached it. */
  Map<Long, Long> executions() {
    Map<Long, Long> counts = new HashMap<>();
    executions.forEach((seq, count) -> counts.put(seq, count.sum()));
    return counts;
  }

  /** Waits until every request sent has its answer, at most {@code max}; false if some have not. */
  boolean awaitAnswers(Duration max) throws InterruptedException {
    try {
      CompletableFuture.allOf(
              requests().stream().map(Request::answer).toArray(CompletableFuture[]::new))
          .get(max.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  private static double percentileMillis(Histogram histogram, double percentile) {
    if (histogram.getTotalCount() == 0) {
      return Double.NaN;
    }
    return histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  @Override
  public synchronized void close() {
    if (sender != null) {
      sender.interrupt();
    }
  }
}
