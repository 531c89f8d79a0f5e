package dev.ferry.loadtest.soak;

import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.loadtest.fault.FaultProxy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * One soak run, start to verdict: starts the echo upstream (recording {@link Executions}), a {@link
 * FaultProxy} per sidecar slot, the sidecar processes ({@link Sidecars}); waits until they are
 * ready; runs the {@link Load} and the {@link Faults} for the configured duration; then stops the
 * load, heals, waits for every answer, checks the client sidecar's pending calls and the request
 * queue, SIGTERMs the sidecars, checks that no broker connection is left, deletes the service's
 * queues, and prints the {@link Verdict} and writes it as JSON.
 *
 * <p>Whatever happens, no child process outlives it: they are SIGKILLed on an early exit, and by a
 * shutdown hook if the JVM itself is stopped meanwhile.
 */
final class Soak {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  private final SoakConfig config;
  private final PrintWriter out;
  private final String service = "soak-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
  private volatile long origin = System.nanoTime();

  Soak(SoakConfig config, PrintWriter out) {
    this.config = config;
    this.out = out;
  }

  /** Runs the soak; returns 0 when every invariant holds, 1 otherwise. */
  int run() throws IOException, InterruptedException {
    Path logDir =
        config.logDir() == null
            ? Files.createTempDirectory("ferry-soak-")
            : Files.createDirectories(config.logDir());
    printHeader(logDir);
    Executions executions = new Executions();
    // Closed in reverse: the sidecar processes go before the proxies they connect through.
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0, executions);
        FaultProxy clientProxy = FaultProxy.toBroker(config.amqpUri());
        ServerProxies serverProxies = new ServerProxies();
        Sidecars sidecars = new Sidecars(config, service, echo.port(), logDir)) {
      Thread reaper = new Thread(sidecars::close, "soak-reaper");
      Runtime.getRuntime().addShutdownHook(reaper);
      try {
        for (int slot = 0; slot < config.servers(); slot++) {
          serverProxies.add(FaultProxy.toBroker(config.amqpUri()));
        }
        return soak(executions, clientProxy, serverProxies, sidecars);
      } finally {
        removeHook(reaper);
      }
    }
  }

  /** The server sidecars' proxies, one per slot; closes them all. */
  private static final class ServerProxies extends ArrayList<FaultProxy> implements AutoCloseable {
    private static final long serialVersionUID = 1L;

    @Override
    public void close() {
      forEach(FaultProxy::close);
    }
  }

  private int soak(
      Executions executions,
      FaultProxy clientProxy,
      List<FaultProxy> serverProxies,
      Sidecars sidecars)
      throws IOException, InterruptedException {
    SidecarProcess client = sidecars.startClient(clientProxy.amqpUri(config.amqpUri()));
    for (int slot = 0; slot < config.servers(); slot++) {
      sidecars.startServer(slot, serverProxies.get(slot).amqpUri(config.amqpUri()));
    }
    for (SidecarProcess process : sidecars.all()) {
      if (!awaitReady(process)) {
        return 1;
      }
    }
    double startup = (System.nanoTime() - origin) / 1e9;
    origin = System.nanoTime(); // From now on, times count from the start of the load.
    print(String.format("all sidecars ready after %.1f s; sending load", startup));
    ScheduledExecutorService control =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "soak-control");
              thread.setDaemon(true);
              return thread;
            });
    Faults faults = new Faults(config, clientProxy, serverProxies, sidecars, control, this::print);
    List<FaultEvent> history;
    Verdict.EndState end;
    try (Load load = new Load(sidecars.clientHttpPort(), config.deadline(), config.seed())) {
      load.start(config.rate());
      long faultNanos = config.faultEvery().toNanos();
      control.scheduleAtFixedRate(faults::injectNext, faultNanos, faultNanos, TimeUnit.NANOSECONDS);
      long progressNanos = PROGRESS_EVERY.toNanos();
      control.scheduleAtFixedRate(
          () -> progress(load, executions), progressNanos, progressNanos, TimeUnit.NANOSECONDS);
      TimeUnit.NANOSECONDS.sleep(config.duration().toNanos());

      load.stop();
      control.shutdownNow();
      control.awaitTermination(30, TimeUnit.SECONDS);
      faults.healAll();
      history = faults.history();
      print("load stopped after " + load.sent() + " requests; waiting for every answer");
      load.awaitAnswers(config.deadline().plus(Load.GRACE).plusSeconds(30));
      progress(load, executions);
      end = finish(client, sidecars, clientProxy, serverProxies);
      return verdict(load.calls(), executions, sidecars, history, end);
    } finally {
      control.shutdownNow();
    }
  }

  /** After the answers: pending calls, the queue, then SIGTERM for all, then connections. */
  private Verdict.EndState finish(
      SidecarProcess client,
      Sidecars sidecars,
      FaultProxy clientProxy,
      List<FaultProxy> serverProxies)
      throws InterruptedException {
    long[] pending = {-1};
    poll(
        Duration.ofSeconds(10),
        () -> (pending[0] = clientPendingOrMinusOne(client.adminPort())) == 0);
    long[] queued = {-1};
    poll(
        Duration.ofSeconds(15),
        () -> (queued[0] = Broker.requestQueueMessages(config.amqpUri(), service)) == 0);
    int unstopped = stopAll(sidecars);
    List<FaultProxy> proxies = new ArrayList<>(serverProxies);
    proxies.add(clientProxy);
    int[] open = {-1};
    poll(
        Duration.ofSeconds(10),
        () -> (open[0] = proxies.stream().mapToInt(FaultProxy::connections).sum()) == 0);
    Broker.deleteQueues(config.amqpUri(), service);
    return new Verdict.EndState(pending[0], queued[0], open[0], unstopped);
  }

  private static long clientPendingOrMinusOne(int adminPort) {
    try {
      return AdminProbe.clientPending(adminPort);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** SIGTERMs every sidecar still running and waits; returns how many had to be SIGKILLed. */
  private int stopAll(Sidecars sidecars) throws InterruptedException {
    List<SidecarProcess> running =
        sidecars.all().stream().filter(SidecarProcess::alive).collect(Collectors.toList());
    running.forEach(SidecarProcess::terminate);
    int unstopped = 0;
    for (SidecarProcess process : running) {
      if (!process.awaitExit(sidecars.drainTimeout().plusSeconds(15))) {
        unstopped++;
        print(process.name() + " did not stop on SIGTERM; SIGKILLed (log: " + process.log() + ")");
      }
    }
    Map<String, Long> statuses =
        sidecars.all().stream()
            .collect(
                Collectors.groupingBy(
                    p -> String.valueOf(p.exitStatus()),
                    LinkedHashMap::new,
                    Collectors.counting()));
    print("sidecars stopped; exit statuses " + statuses + " (137: SIGKILLed by a fault)");
    return unstopped;
  }

  private int verdict(
      List<Call> calls,
      Executions executions,
      Sidecars sidecars,
      List<FaultEvent> history,
      Verdict.EndState end)
      throws IOException {
    List<Verdict.ProcessFacts> processes =
        sidecars.all().stream().map(Verdict.ProcessFacts::of).toList();
    Verdict verdict = new Verdict(calls, executions, processes, history, end);
    Report report = new Report(config, service, origin);
    report.print(verdict, history.size(), out);
    report.write(verdict, history, sidecars.all());
    print("summary written to " + config.out().toAbsolutePath());
    return verdict.holds() ? 0 : 1;
  }

  private boolean awaitReady(SidecarProcess process) throws InterruptedException {
    boolean ready =
        poll(
            READY_TIMEOUT,
            () -> {
              try {
                return !process.alive() || AdminProbe.ready(process.adminPort());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
              }
            });
    if (ready && process.alive()) {
      return true;
    }
    out.printf(
        "%s did not become ready within %s%s; see its log %s%n",
        process.name(),
        human(READY_TIMEOUT),
        process.alive() ? "" : " (it exited with status " + process.exitStatus() + ")",
        process.log());
    out.flush();
    return false;
  }

  /** Checks {@code condition} every 100 ms until it holds or {@code max} passed; its last value. */
  private static boolean poll(Duration max, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0 || Thread.currentThread().isInterrupted()) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return true;
  }

  private void progress(Load load, Executions executions) {
    print(
        "sent="
            + load.sent()
            + " unanswered="
            + (load.sent() - load.answered())
            + " executions="
            + executions.total()
            + " answers="
            + load.tally());
  }

  private void printHeader(Path logDir) {
    print(
        String.format(
            "soak: service %s, broker %s, %s of load at %d/s, deadline %s, %d server sidecars,"
                + " a fault every %s from %s, seed %d",
            service,
            config.redactedAmqpUri(),
            human(config.duration()),
            config.rate(),
            human(config.deadline()),
            config.servers(),
            human(config.faultEvery()),
            config.faults().stream().sorted().map(FaultKind::label).toList(),
            config.seed()));
    print("sidecar logs in " + logDir);
  }

  private synchronized void print(String line) {
    out.println(at(origin) + " " + line);
    out.flush();
  }

  /** {@code t= 12.3s}: the time since {@code origin} ({@link System#nanoTime()}). */
  static String at(long origin) {
    return String.format("t=%6.1fs", (System.nanoTime() - origin) / 1e9);
  }

  /** {@code 10m}, {@code 30s} or {@code 1500ms}, as the flags take them. */
  static String human(Duration duration) {
    long millis = duration.toMillis();
    if (millis % 60_000 == 0) {
      return millis / 60_000 + "m";
    }
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is shutting down: the hook runs anyway.
    }
  }
}
