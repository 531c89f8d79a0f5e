package dev.ferry.loadtest.scale;

import dev.ferry.common.Durations;
import dev.ferry.loadtest.soak.AdminProbe;
import dev.ferry.loadtest.soak.SidecarProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The simulated Deployment: the client sidecar and the server sidecar "pods", as child JVMs started
 * from their jars (as the soak runs them: flags for the settings, the broker URI in {@code
 * FERRY_AMQP_URI}, a small heap, a log file each). {@link #scaleTo} starts server sidecars or
 * SIGTERMs the newest ones, which drain and exit; a server sidecar that dies by itself is replaced
 * at the next {@link #scaleTo}, as a ReplicaSet would.
 *
 * <p>Thread-safe (synchronized: the control thread scales and observes, the main thread waits and
 * stops). {@link #close()} SIGKILLs whatever still runs.
 */
final class Fleet implements AutoCloseable {
  /** As the soak's, and C1 only, as deploy/keda/echo-deployment.yaml runs the sidecar: faster. */
  private static final List<String> JVM_FLAGS =
      List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /**
   * The server sidecar's gauge {@code ferry.server.inflight} (DispatchMetrics): unacked requests.
   */
  private static final String IN_FLIGHT = "ferry_server_inflight";

  private final ScaleConfig config;
  private final int echoPort;
  private final Path logDir;
  private final List<SidecarProcess> all = new CopyOnWriteArrayList<>();

  /** Server sidecars counted as replicas, oldest first. */
  private final Deque<SidecarProcess> replicas = new ArrayDeque<>();

  /** Server sidecars SIGTERMed by a scale-down, until they exit. */
  private final List<SidecarProcess> terminating = new ArrayList<>();

  /** Runs the admin probes of all server sidecars at once. */
  private final ExecutorService probes =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "scale-probe");
            thread.setDaemon(true);
            return thread;
          });

  private int ids;
  private int crashes;
  private SidecarProcess client;
  private int clientHttpPort;

  /**
   * What the fleet looks like now.
   *
   * @param replicas server sidecars counted as replicas (started, not told to stop)
   * @param ready of those, how many answer {@code /readyz} with 200
   * @param terminating SIGTERMed server sidecars still draining
   * @param inFlight requests all running server sidecars hold unacknowledged
   */
  record State(int replicas, int ready, int terminating, long inFlight) {}

  Fleet(ScaleConfig config, int echoPort, Path logDir) {
    this.config = config;
    this.echoPort = echoPort;
    this.logDir = logDir;
  }

  /** Starts the client sidecar. */
  synchronized SidecarProcess startClient() throws IOException {
    clientHttpPort = SidecarProcess.freePort();
    client =
        start(
            -1,
            config.clientJar(),
            List.of(
                "--service",
                config.service(),
                "--http-host",
                "127.0.0.1",
                "--http-port",
                Integer.toString(clientHttpPort),
                "--grpc-port",
                Integer.toString(SidecarProcess.freePort()),
                "--timeout",
                Durations.format(config.deadline()),
                // Longer than any run: the load's pooled connections are never closed under it.
                "--idle-timeout",
                "24h",
                "--drain-timeout",
                Durations.format(drainTimeout())));
    return client;
  }

  synchronized int clientHttpPort() {
    return clientHttpPort;
  }

  /** Starts or SIGTERMs server sidecars until {@code count} are replicas (newest go first). */
  synchronized void scaleTo(int count) throws IOException {
    reap();
    while (replicas.size() < count) {
      replicas.addLast(
          start(
              replicas.size(),
              config.serverJar(),
              List.of(
                  "--service",
                  config.service(),
                  "--upstream",
                  "http://127.0.0.1:" + echoPort,
                  "--concurrency",
                  Integer.toString(config.concurrency()),
                  "--drain-timeout",
                  Durations.format(drainTimeout()))));
    }
    while (replicas.size() > count) {
      SidecarProcess newest = replicas.removeLast();
      newest.terminate();
      terminating.add(newest);
    }
  }

  /** Reads every server sidecar's readiness and in-flight requests (over their admin ports). */
  synchronized State observe() throws InterruptedException {
    long inFlight = inFlight();
    long ready =
        probeAll(new ArrayList<>(replicas), AdminProbe::ready).stream().filter(r -> r).count();
    return new State(replicas.size(), (int) ready, terminating.size(), inFlight);
  }

  /** Requests all running server sidecars hold unacknowledged (unreadable ones count 0). */
  synchronized long inFlight() throws InterruptedException {
    reap();
    List<SidecarProcess> running = new ArrayList<>(replicas);
    running.addAll(terminating);
    return probeAll(running, port -> Math.max(0, AdminProbe.gauge(port, IN_FLIGHT))).stream()
        .mapToLong(Long::longValue)
        .sum();
  }

  /**
   * Asks every one of {@code servers} at once (a starting JVM may be slow to answer) and waits for
   * all the answers.
   */
  private <T> List<T> probeAll(List<SidecarProcess> servers, Probe<T> probe)
      throws InterruptedException {
    List<CompletableFuture<T>> answers = new ArrayList<>();
    for (SidecarProcess server : servers) {
      answers.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return probe.ask(server.adminPort());
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  throw new CompletionException(e);
                }
              },
              probes));
    }
    List<T> results = new ArrayList<>();
    for (CompletableFuture<T> answer : answers) {
      try {
        results.add(answer.get());
      } catch (ExecutionException e) {
        throw new InterruptedException("probe interrupted");
      }
    }
    return results;
  }

  @FunctionalInterface
  private interface Probe<T> {
    T ask(int adminPort) throws InterruptedException;
  }

  /** Whether no server sidecar is a replica or still draining. */
  synchronized boolean empty() {
    reap();
    return replicas.isEmpty() && terminating.isEmpty();
  }

  /** Server sidecars started so far. */
  synchronized List<SidecarProcess> servers() {
    return all.stream().filter(process -> process != client).toList();
  }

  /** Replicas that exited without being told to (replaced at the next {@link #scaleTo}). */
  synchronized int crashes() {
    return crashes;
  }

  /**
   * SIGTERMs every sidecar still running (servers first, then the client) and waits for each;
   * returns how many had to be SIGKILLed.
   */
  synchronized int stopAll() throws InterruptedException {
    scaleTo0();
    List<SidecarProcess> running = new ArrayList<>(terminating);
    if (client != null && client.alive()) {
      client.terminate();
      running.add(client);
    }
    int unstopped = 0;
    for (SidecarProcess process : running) {
      if (!process.awaitExit(drainTimeout().plusSeconds(15))) {
        unstopped++;
      }
    }
    terminating.clear();
    return unstopped;
  }

  /** How many server sidecars ended with each exit status ({@code null}: still running). */
  synchronized Map<String, Long> serverExitStatuses() {
    Map<String, Long> statuses = new TreeMap<>();
    for (SidecarProcess server : servers()) {
      statuses.merge(String.valueOf(server.exitStatus()), 1L, Long::sum);
    }
    return statuses;
  }

  @Override
  public void close() {
    for (SidecarProcess process : all) {
      process.destroyForcibly();
    }
    probes.shutdownNow();
  }

  /** In-flight requests finish within their deadline; a little more for the reply and the ack. */
  private Duration drainTimeout() {
    return config.deadline().plusSeconds(5);
  }

  private void scaleTo0() {
    while (!replicas.isEmpty()) {
      SidecarProcess server = replicas.removeLast();
      server.terminate();
      terminating.add(server);
    }
  }

  /** Forgets exited draining servers; counts and forgets replicas that died by themselves. */
  private void reap() {
    terminating.removeIf(server -> !server.alive());
    int before = replicas.size();
    replicas.removeIf(server -> !server.alive());
    crashes += before - replicas.size();
  }

  private SidecarProcess start(int slot, Path jar, List<String> roleArgs) throws IOException {
    int id = ++ids;
    SidecarProcess process =
        SidecarProcess.launch(
            id, slot, jar, JVM_FLAGS, roleArgs, config.queueType(), config.amqpUri(), logDir);
    all.add(process);
    return process;
  }
}
