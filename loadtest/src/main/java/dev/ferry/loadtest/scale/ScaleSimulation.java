package dev.ferry.loadtest.scale;

import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.loadtest.soak.AdminProbe;
import dev.ferry.loadtest.soak.SidecarProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One scale simulation, start to summary: starts the echo upstream (answering after {@code
 * --delay}) and the client sidecar, waits until it is ready, then runs the load pattern through it
 * while a control thread polls the queue every {@code pollingInterval} ({@link Autoscaler} decides,
 * {@link Fleet} starts or SIGTERMs server sidecars) and records a timeline line every second. The
 * control thread owns the autoscaler and the timeline until it has been stopped and joined. After
 * the pattern it waits for every answer and for zero replicas (at most {@code --settle-timeout}),
 * stops the sidecars, prints the {@link Summary} and writes the {@link TimelineFiles}.
 *
 * <p>Whatever happens, no child process outlives it: they are SIGKILLed on an early exit, and by a
 * shutdown hook if the JVM itself is stopped meanwhile.
 */
final class ScaleSimulation {
  private static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private final ScaleConfig config;
  private final PrintWriter out;
  private final Clock clock = Clock.systemUTC();
  private final Autoscaler autoscaler;
  private final List<Poll> polls = new ArrayList<>(); // Control thread; read after it stopped.
  private final List<Sample> samples = new ArrayList<>(); // Likewise.
  private final List<String> notes = new ArrayList<>(); // Likewise.
  private volatile int replicas; // The last poll's decision, for the load to read.
  private volatile boolean stopped; // Tells the control thread to end.
  private int desired; // Control thread.
  private long originNanos;
  private Instant originInstant;

  ScaleSimulation(ScaleConfig config, PrintWriter out) {
    this.config = config;
    this.out = out;
    this.autoscaler = new Autoscaler(config.rules(), clock);
  }

  /** Runs the simulation; returns 0 when no request was lost, 1 otherwise. */
  int run() throws IOException, InterruptedException {
    Path outDir = Files.createDirectories(config.outDir());
    Path logDir =
        config.logDir() == null
            ? Files.createTempDirectory("ferry-scale-")
            : Files.createDirectories(config.logDir());
    Report.header(config, logDir).forEach(this::print);
    ScaleLoad load = new ScaleLoad(config.deadline(), config.delay(), () -> replicas);
    // Closed in reverse: the sidecars go before the echo they call.
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0, load::arrived);
        Fleet fleet = new Fleet(config, echo.port(), logDir);
        QueueDepth queue = new QueueDepth(config.amqpUri(), config.queue());
        load) {
      Thread reaper = new Thread(fleet::close, "scale-reaper");
      Runtime.getRuntime().addShutdownHook(reaper);
      try {
        return simulate(load, fleet, queue, outDir);
      } finally {
        removeHook(reaper);
      }
    }
  }

  private int simulate(ScaleLoad load, Fleet fleet, QueueDepth queue, Path outDir)
      throws IOException, InterruptedException {
    long starting = System.nanoTime();
    SidecarProcess client = fleet.startClient();
    if (!awaitReady(client)) {
      return 1;
    }
    originNanos = System.nanoTime();
    originInstant = clock.instant();
    print(
        String.format(
            Locale.ROOT,
            "client sidecar ready after %.1f s; the load pattern starts now, at 0 replicas",
            (originNanos - starting) / 1e9));
    print(Report.columns());
    Thread control = new Thread(() -> control(load, fleet, queue), "scale-control");
    control.setDaemon(true);
    control.start();
    try {
      load.start(fleet.clientHttpPort(), config.pattern(), originNanos);
      load.awaitSent(config.pattern().duration().plusSeconds(30));
      settle(load, fleet);
    } finally {
      stopped = true;
      LockSupport.unpark(control);
      control.join(TimeUnit.SECONDS.toMillis(30));
    }
    sample(load, fleet, queue); // The state at the end, and the last notes.
    load.awaitAnswers(config.deadline().plus(ScaleLoad.GRACE));
    int unstopped = fleet.stopAll();
    Summary summary =
        Summary.of(
            load.requests(), load.executions(), polls, samples, load.latencies(), fleet, unstopped);
    synchronized (this) {
      summary.print(out);
    }
    TimelineFiles.write(outDir, config, summary, polls, samples);
    print(
        "timeline written to "
            + outDir.toAbsolutePath().resolve(TimelineFiles.SVG)
            + " (and .csv, .json)");
    return summary.passed() ? 0 : 1;
  }

  /** Waits until every request is answered and no server sidecar runs, at most the timeout. */
  private void settle(ScaleLoad load, Fleet fleet) throws InterruptedException {
    long end = System.nanoTime() + config.settleTimeout().toNanos();
    while (load.unanswered() > 0 || replicas > 0 || !fleet.empty()) {
      if (System.nanoTime() - end > 0) {
        print(
            "not back to zero within --settle-timeout "
                + ScaleConfig.human(config.settleTimeout())
                + " (unanswered "
                + load.unanswered()
                + ", replicas "
                + replicas
                + ")");
        return;
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  /**
   * The control thread: a poll every {@code pollingInterval} and a timeline line every second from
   * the origin on, until stopped. A tick missed because the previous one took long (probing
   * starting JVMs on a busy machine) is skipped, not caught up.
   */
  private void control(ScaleLoad load, Fleet fleet, QueueDepth queue) {
    long pollEvery = config.rules().pollingInterval().toNanos();
    long sampleEvery = SAMPLE_EVERY.toNanos();
    long nextPoll = originNanos;
    long nextSample = originNanos;
    while (!stopped) {
      if (System.nanoTime() - nextPoll >= 0) {
        guarded(() -> poll(fleet, queue));
        nextPoll = next(nextPoll, pollEvery);
      }
      if (System.nanoTime() - nextSample >= 0) {
        guarded(() -> sample(load, fleet, queue));
        nextSample = next(nextSample, sampleEvery);
      }
      long now = System.nanoTime();
      LockSupport.parkNanos(Math.min(nextPoll - now, nextSample - now));
    }
  }

  /** The first tick of the schedule {@code previous + k * every} that is still ahead. */
  private static long next(long previous, long every) {
    long now = System.nanoTime();
    long next = previous + every;
    if (next - now <= 0) {
      next += ((now - next) / every + 1) * every;
    }
    return next;
  }

  /** One KEDA poll: reads the metric, decides, applies. Control thread. */
  private void poll(Fleet fleet, QueueDepth queue) throws IOException, InterruptedException {
    long ready = queue.ready();
    if (ready < 0) {
      notes.add("poll skipped: queue unreadable");
      fleet.scaleTo(autoscaler.replicas());
      return;
    }
    long metric = ready + (config.countsUnacknowledged() ? fleet.inFlight() : 0);
    Decision decision = autoscaler.poll(metric);
    fleet.scaleTo(decision.to());
    replicas = decision.to();
    desired =
        decision.recommendation() < 0
            ? decision.to()
            : Math.max(
                config.rules().hpaMinReplicas(),
                Math.min(config.rules().maxReplicaCount(), decision.recommendation()));
    polls.add(new Poll(seconds(decision.at()), decision));
    if (decision.changed()) {
      notes.add(Report.note(decision, config.rules()));
    }
  }

  /** One timeline line. Control thread (and the main thread once that has stopped). */
  private void sample(ScaleLoad load, Fleet fleet, QueueDepth queue) throws InterruptedException {
    double t = (System.nanoTime() - originNanos) / 1e9;
    long queueReady = queue.ready();
    Fleet.State state = fleet.observe();
    long metric =
        queueReady < 0 ? -1 : queueReady + (config.countsUnacknowledged() ? state.inFlight() : 0);
    ScaleLoad.Interval interval = load.interval();
    Duration elapsed = Duration.ofNanos(System.nanoTime() - originNanos);
    String phase =
        elapsed.compareTo(config.pattern().duration()) < 0
            ? config.pattern().phaseAt(elapsed).name()
            : "after";
    Sample sample =
        new Sample(
            t,
            phase,
            state.replicas(),
            state.ready(),
            state.terminating(),
            queueReady,
            state.inFlight(),
            metric,
            desired,
            interval.sent(),
            interval.ok(),
            interval.failed(),
            interval.p50Millis(),
            interval.p99Millis(),
            String.join("; ", notes));
    notes.clear();
    samples.add(sample);
    print(Report.line(sample));
  }

  private double seconds(Instant at) {
    return Duration.between(originInstant, at).toNanos() / 1e9;
  }

  private boolean awaitReady(SidecarProcess process) throws InterruptedException {
    long end = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (process.alive() && !AdminProbe.ready(process.adminPort())) {
      if (System.nanoTime() - end > 0) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    if (process.alive() && AdminProbe.ready(process.adminPort())) {
      return true;
    }
    print(
        "the client sidecar did not become ready within "
            + ScaleConfig.human(READY_TIMEOUT)
            + (process.alive() ? "" : " (it exited with status " + process.exitStatus() + ")")
            + "; see its log "
            + process.log());
    return false;
  }

  /** Runs a control task; reports what it throws instead of ending the control thread. */
  private void guarded(Task task) {
    try {
      task.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    } catch (IOException | RuntimeException e) {
      print("control: " + e);
    }
  }

  @FunctionalInterface
  private interface Task {
    void run() throws IOException, InterruptedException;
  }

  private synchronized void print(String line) {
    out.println(line);
    out.flush();
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway.
    }
  }
}
