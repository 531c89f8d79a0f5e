package dev.ferry.loadtest.rawrpc;

import dev.ferry.protocol.QueueType;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry-loadtest raw-rpc}: closed-loop request/response with the plain amqp-client ({@link
 * RawRpc}), the baseline for Ferry's numbers and the measurement behind the default queue type.
 */
@Command(
    name = "raw-rpc",
    mixinStandardHelpOptions = true,
    description = {
      "Measures request/response with the plain amqp-client on a fresh queue: N callers, each"
          + " sending its next request when the previous reply came.",
      "Every option can also be set with the FERRY_* variable named after it."
    })
public final class RawRpcCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--amqp-uri",
      defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
      description = "Broker (FERRY_AMQP_URI, default: ${DEFAULT-VALUE}).")
  private String amqpUri;

  @Option(
      names = "--queue-type",
      defaultValue = "classic",
      description = "quorum or classic (FERRY_QUEUE_TYPE, default: ${DEFAULT-VALUE}).")
  private String queueType;

  @Option(
      names = "--concurrency",
      defaultValue = "1",
      description = "Callers (FERRY_CONCURRENCY, default: ${DEFAULT-VALUE}).")
  private int concurrency;

  @Option(
      names = "--body-size",
      defaultValue = "512",
      description = "Request body in bytes (FERRY_BODY_SIZE, default: ${DEFAULT-VALUE}).")
  private int bodySize;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      description = "Measured time (FERRY_DURATION, default: ${DEFAULT-VALUE}).")
  private Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "3s",
      description = "Unmeasured time before (FERRY_WARMUP, default: ${DEFAULT-VALUE}).")
  private Duration warmup;

  @Override
  public Integer call() throws Exception {
    QueueType type = QueueType.valueOf(queueType.toUpperCase(Locale.ROOT));
    Result result = run(amqpUri, type, concurrency, bodySize, warmup, duration);
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        result.line("raw-rpc " + type.name().toLowerCase(Locale.ROOT) + " c=" + concurrency));
    out.flush();
    return 0;
  }

  /** Requests per second and latency percentiles (microseconds) of one run. */
  public record Result(double perSecond, long count, Histogram latencyMicros) {
    public String line(String label) {
      return String.format(
          Locale.ROOT,
          "%-28s %9.0f req/s  p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms  max %8.3f ms  (%d calls)",
          label,
          perSecond,
          latencyMicros.getValueAtPercentile(50) / 1000.0,
          latencyMicros.getValueAtPercentile(90) / 1000.0,
          latencyMicros.getValueAtPercentile(99) / 1000.0,
          latencyMicros.getMaxValue() / 1000.0,
          count);
    }
  }

  /** Runs {@code concurrency} closed-loop callers for {@code warmup} then {@code duration}. */
  public static Result run(
      String amqpUri,
      QueueType type,
      int concurrency,
      int bodySize,
      Duration warmup,
      Duration duration)
      throws Exception {
    byte[] body = new byte[bodySize];
    Recorder recorder = new Recorder(3);
    LongAdder count = new LongAdder();
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean(true);
    try (RawRpc rpc = RawRpc.start(amqpUri, type, Math.max(concurrency, 1))) {
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        Thread caller =
            new Thread(
                () -> {
                  while (running.get()) {
                    long start = System.nanoTime();
                    try {
                      rpc.call(body).get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                      running.set(false);
                      return;
                    }
                    if (measuring.get()) {
                      recorder.recordValue((System.nanoTime() - start) / 1000);
                      count.increment();
                    }
                  }
                },
                "raw-rpc-caller-" + i);
        caller.setDaemon(true);
        caller.start();
        callers.add(caller);
      }
      Thread.sleep(warmup.toMillis()); // the load's own schedule, not a wait for an event
      recorder.reset();
      measuring.set(true);
      long start = System.nanoTime();
      Thread.sleep(duration.toMillis());
      measuring.set(false);
      long elapsed = System.nanoTime() - start;
      running.set(false);
      for (Thread caller : callers) {
        caller.join(35_000);
      }
      long calls = count.sum();
      return new Result(calls * 1e9 / elapsed, calls, recorder.getIntervalHistogram());
    }
  }
}
