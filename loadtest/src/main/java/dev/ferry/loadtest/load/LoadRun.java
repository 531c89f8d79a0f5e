package dev.ferry.loadtest.load;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Applies a {@link LoadSpec} to a {@link Transport}: warm-up, then the measured window, then up to
 * the request timeout for the answers still outstanding. Prints a progress line a second when given
 * somewhere to print, and calls a {@link Window} as the measured window begins and ends (the bench
 * reads CPU times there). One run per instance.
 *
 * <p>Open loop: one scheduler thread sends request {@code i} at {@link Schedule#intendedNanos} and
 * does not wait for answers; latency counts from the intended time. Closed loop: {@code
 * concurrency} threads, each sending and waiting.
 */
public final class LoadRun {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** Told when the measured window begins and ends; called from the run's ticker thread. */
  public interface Window {
    Window NONE = new Window() {};

    default void started() {}

    default void ended() {}
  }

  private final String label;
  private final Transport transport;
  private final LoadSpec spec;
  private final PrintWriter progress;
  private final Window window;
  private final byte[] body;

  private final Recorder recorder = new Recorder(3);
  private final LongAdder sent = new LongAdder();
  private final LongAdder ok = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder warmupAnswers = new LongAdder();
  private final AtomicLong outstanding = new AtomicLong();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private long measureStart;
  private long measureEnd;

  private LoadRun(
      String label, Transport transport, LoadSpec spec, PrintWriter progress, Window window) {
    this.label = label;
    this.transport = transport;
    this.spec = spec;
    this.progress = progress;
    this.window = window;
    this.body = new byte[spec.bodySize()];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) ('a' + i % 26);
    }
  }

  /**
   * Runs {@code spec} against {@code transport} and returns what the measured window saw.
   *
   * @param progress where to print a progress line a second, or null
   */
  public static LoadResult run(
      String label, Transport transport, LoadSpec spec, PrintWriter progress, Window window)
      throws InterruptedException {
    return new LoadRun(label, transport, spec, progress, window).run();
  }

  private LoadResult run() throws InterruptedException {
    long begin = System.nanoTime();
    measureStart = begin + spec.warmup().toNanos();
    measureEnd = measureStart + spec.duration().toNanos();
    List<Thread> senders = new ArrayList<>();
    if (spec.openLoop()) {
      senders.add(thread("open-loop", () -> openLoop(new Schedule(begin, spec.ratePerSecond()))));
    } else {
      for (int i = 0; i < spec.concurrency(); i++) {
        senders.add(thread("caller-" + i, this::closedLoop));
      }
    }
    senders.forEach(Thread::start);
    List<TimelinePoint> timeline = new ArrayList<>();
    Histogram total = new Histogram(3);
    tick(begin, total, timeline);
    long deadline = System.nanoTime() + spec.timeout().toNanos() + SECOND;
    for (Thread sender : senders) {
      sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    // Open loop: answers to the last requests may still be on their way; wait (bounded) for them.
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    total.add(recorder.getIntervalHistogram());
    Map<String, Long> errorCounts = new java.util.TreeMap<>();
    errors.forEach((kind, count) -> errorCounts.put(kind, count.sum()));
    long unanswered = sent.sum() - ok.sum() - failed.sum();
    if (unanswered > 0) {
      errorCounts.merge("no-answer", unanswered, Long::sum);
    }
    return new LoadResult(
        label, spec, measureEnd - measureStart, sent.sum(), ok.sum(), errorCounts, total, timeline);
  }

  /** Prints progress and cuts the timeline once a second until the window ends. */
  private void tick(long begin, Histogram total, List<TimelinePoint> timeline) {
    long next = begin + SECOND;
    long lastOk = 0;
    long lastFailed = 0;
    boolean measuring = false;
    while (true) {
      long at = measuring ? Math.min(next, measureEnd) : Math.min(next, measureStart);
      parkUntil(at);
      if (!measuring && at >= measureStart) {
        measuring = true;
        // No recorder.reset(): warm-up answers are never recorded, and answers to measured
        // requests may already have been recorded before this tick noticed the window began.
        window.started();
        next = measureStart + SECOND;
        print("warm-up done; measuring");
        continue;
      }
      if (!measuring) {
        print(String.format(Locale.ROOT, "warm-up   %6d answers", warmupAnswers.sum()));
        next += SECOND;
        continue;
      }
      Histogram interval = recorder.getIntervalHistogram();
      total.add(interval);
      long okNow = ok.sum();
      long failedNow = failed.sum();
      double seconds = (at - measureStart) / 1e9;
      TimelinePoint point =
          new TimelinePoint(
              LoadResult.round(seconds),
              okNow - lastOk,
              failedNow - lastFailed,
              interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(50),
              interval.getTotalCount() == 0 ? 0 : interval.getValueAtPercentile(99),
              interval.getTotalCount() == 0 ? 0 : interval.getMaxValue());
      timeline.add(point);
      print(
          String.format(
              Locale.ROOT,
              "%5.1fs/%.0fs  %8.1f ok/s  %d errors  p50 %.3f ms  p99 %.3f ms  max %.3f ms",
              seconds,
              spec.duration().toNanos() / 1e9,
              LoadResult.perSecond(point.ok(), at - Math.max(measureStart, at - SECOND)),
              failedNow,
              point.p50Micros() / 1000.0,
              point.p99Micros() / 1000.0,
              point.maxMicros() / 1000.0));
      lastOk = okNow;
      lastFailed = failedNow;
      if (at >= measureEnd) {
        window.ended();
        return;
      }
      next += SECOND;
    }
  }

  private void print(String line) {
    if (progress != null) {
      progress.println("  [" + label + "] " + line);
      progress.flush();
    }
  }

  private void openLoop(Schedule schedule) {
    for (long i = 0; ; i++) {
      long intended = schedule.intendedNanos(i);
      if (intended >= measureEnd) {
        return;
      }
      parkUntil(intended);
      boolean counted = counts(intended);
      if (counted) {
        sent.increment();
      }
      outstanding.incrementAndGet();
      transport
          .call(body)
          .orTimeout(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .whenComplete(
              (outcome, failure) -> {
                record(intended, counted, outcome, failure);
                outstanding.decrementAndGet();
              });
    }
  }

  private void closedLoop() {
    while (true) {
      long start = System.nanoTime();
      if (start >= measureEnd) {
        return;
      }
      boolean counted = counts(start);
      if (counted) {
        sent.increment();
      }
      Outcome outcome;
      Throwable failure = null;
      try {
        outcome = transport.call(body).get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        outcome = null;
        failure = e;
      }
      record(start, counted, outcome, failure);
    }
  }

  private boolean counts(long sendNanos) {
    return sendNanos >= measureStart && sendNanos < measureEnd;
  }

  private void record(long fromNanos, boolean counted, Outcome outcome, Throwable failure) {
    if (!counted) {
      warmupAnswers.increment();
      return;
    }
    if (failure == null && outcome != null && outcome.ok()) {
      recorder.recordValue(Math.max(1, (System.nanoTime() - fromNanos) / 1000));
      ok.increment();
      return;
    }
    String kind;
    if (outcome != null) {
      kind = outcome.errorKind();
    } else if (failure instanceof TimeoutException
        || failure != null && failure.getCause() instanceof TimeoutException) {
      kind = "timeout";
    } else {
      Throwable cause =
          failure != null && failure.getCause() != null ? failure.getCause() : failure;
      kind = "exception:" + (cause == null ? "unknown" : cause.getClass().getSimpleName());
    }
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    failed.increment();
  }

  private static void parkUntil(long nanos) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private Thread thread(String name, Runnable body) {
    Thread thread = new Thread(body, "load-" + name);
    thread.setDaemon(true);
    return thread;
  }
}
