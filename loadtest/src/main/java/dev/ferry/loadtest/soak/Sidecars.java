package dev.ferry.loadtest.soak;

import dev.ferry.common.Durations;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts the soak's sidecars as child JVMs from their jars, the way they run in a pod: flags for
 * the settings, the broker URI (credentials and all) in {@code FERRY_AMQP_URI}, no other {@code
 * FERRY_*} variable of this process, a small heap, and the output in a log file of their own. Keeps
 * every process it started (for the verdict) and the current server sidecar of each slot.
 * Thread-safe; {@link #close()} SIGKILLs whatever still runs (for an aborted soak).
 */
final class Sidecars implements AutoCloseable {
  private static final List<String> JVM_FLAGS = List.of("-Xmx128m", "-XX:+UseSerialGC");

  private final SoakConfig config;
  private final String service;
  private final int echoPort;
  private final Path logDir;
  private final AtomicInteger ids = new AtomicInteger();
  private final List<SidecarProcess> all = new CopyOnWriteArrayList<>();
  private final SidecarProcess[] servers;
  private int clientHttpPort;
  private SidecarProcess client;

  Sidecars(SoakConfig config, String service, int echoPort, Path logDir) {
    this.config = config;
    this.service = service;
    this.echoPort = echoPort;
    this.logDir = logDir;
    this.servers = new SidecarProcess[config.servers()];
  }

  /** Starts the client sidecar, connecting to the broker at {@code amqpUri}. */
  synchronized SidecarProcess startClient(String amqpUri) throws IOException {
    clientHttpPort = SidecarProcess.freePort();
    List<String> args =
        List.of(
            "--service",
            service,
            "--http-host",
            "127.0.0.1",
            "--http-port",
            Integer.toString(clientHttpPort),
            "--grpc-port",
            Integer.toString(SidecarProcess.freePort()),
            "--timeout",
            Durations.format(config.deadline()),
            // Longer than the soak: the load's pooled connections are never closed under it.
            "--idle-timeout",
            Durations.format(config.duration().plusMinutes(10)),
            "--drain-timeout",
            Durations.format(drainTimeout()));
    client = start(ids.incrementAndGet(), -1, config.clientJar(), args, amqpUri);
    return client;
  }

  /** The client sidecar (null before {@link #startClient}). */
  synchronized SidecarProcess client() {
    return client;
  }

  /** Starts a server sidecar in {@code slot}, replacing the slot's current one (if any). */
  synchronized SidecarProcess startServer(int slot, String amqpUri) throws IOException {
    int id = ids.incrementAndGet();
    List<String> args =
        List.of(
            "--service",
            service,
            "--upstream",
            "http://127.0.0.1:" + echoPort + Executions.basePath(id),
            "--drain-timeout",
            Durations.format(drainTimeout()));
    SidecarProcess server = start(id, slot, config.serverJar(), args, amqpUri);
    servers[slot] = server;
    return server;
  }

  private SidecarProcess start(int id, int slot, Path jar, List<String> roleArgs, String amqpUri)
      throws IOException {
    SidecarProcess process =
        SidecarProcess.launch(
            id, slot, jar, JVM_FLAGS, roleArgs, config.queueType(), amqpUri, logDir);
    all.add(process);
    return process;
  }

  /** In-flight requests finish within their deadline; a little more for the reply and the ack. */
  Duration drainTimeout() {
    return config.deadline().plusSeconds(5);
  }

  /** The port the client sidecar takes HTTP calls on. */
  synchronized int clientHttpPort() {
    return clientHttpPort;
  }

  /** The server sidecar now running in {@code slot}. */
  synchronized SidecarProcess server(int slot) {
    return servers[slot];
  }

  /** Every process started so far, in order. */
  List<SidecarProcess> all() {
    return List.copyOf(all);
  }

  @Override
  public void close() {
    for (SidecarProcess process : all) {
      process.destroyForcibly();
    }
  }
}
