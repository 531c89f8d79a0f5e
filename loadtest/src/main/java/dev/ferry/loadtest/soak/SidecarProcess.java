package dev.ferry.loadtest.soak;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One sidecar child JVM of the soak: the client sidecar ({@code slot} -1) or a server sidecar in
 * server slot {@code slot}. Remembers when the soak signalled it, for the verdict. Thread-safe.
 * Public for the scale simulation ({@code dev.ferry.loadtest.scale}), which runs its sidecars the
 * same way.
 */
public final class SidecarProcess {
  private final int id;
  private final int slot;
  private final Process process;
  private final int adminPort;
  private final Path log;
  private final long startedNanos;
  private volatile long killedNanos = -1;
  private volatile long terminatedNanos = -1;

  public SidecarProcess(int id, int slot, Process process, int adminPort, Path log) {
    this.id = id;
    this.slot = slot;
    this.process = process;
    this.adminPort = adminPort;
    this.log = log;
    this.startedNanos = System.nanoTime();
  }

  /**
   * Starts a sidecar jar as a child JVM with {@code jvmFlags} and {@code roleArgs}, its admin port
   * on a free loopback port, {@code --queue-type}, and the broker in {@code FERRY_AMQP_URI} (no
   * other {@code FERRY_*} variable of this process leaks into it); its output goes to {@code
   * client.log} or {@code server-p<id>.log} in {@code logDir}.
   */
  public static SidecarProcess launch(
      int id,
      int slot,
      Path jar,
      List<String> jvmFlags,
      List<String> roleArgs,
      String queueType,
      String amqpUri,
      Path logDir)
      throws IOException {
    int adminPort = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    command.addAll(roleArgs);
    command.addAll(
        List.of(
            "--admin-host",
            "127.0.0.1",
            "--admin-port",
            Integer.toString(adminPort),
            "--queue-type",
            queueType));
    Path log = logDir.resolve((slot < 0 ? "client" : "server-p" + id) + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("FERRY_"));
    builder.environment().put("FERRY_AMQP_URI", amqpUri);
    return new SidecarProcess(id, slot, builder.start(), adminPort, log);
  }

  /** A TCP port free on this machine right now. */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Unique within the soak; a server sidecar calls the service under {@code /p<id>}. */
  int id() {
    return id;
  }

  /** The server slot (0..servers-1), or -1 for the client sidecar. */
  int slot() {
    return slot;
  }

  /** {@code client} or {@code server p<id> (slot s<slot>)}, for the output. */
  String name() {
    return slot < 0 ? "client" : "server p" + id + " (s" + slot + ")";
  }

  public int adminPort() {
    return adminPort;
  }

  public Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  long startedNanos() {
    return startedNanos;
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** When the soak SIGKILLed it ({@link System#nanoTime()}), or -1. */
  long killedNanos() {
    return killedNanos;
  }

  /** When the soak SIGTERMed it ({@link System#nanoTime()}), or -1. */
  long terminatedNanos() {
    return terminatedNanos;
  }

  /** Sends SIGKILL and waits (10 s at most) until it is gone. */
  void kill() throws InterruptedException {
    killedNanos = System.nanoTime();
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends SIGTERM: the sidecar drains and exits; does not wait. */
  public void terminate() {
    if (terminatedNanos < 0) {
      terminatedNanos = System.nanoTime();
    }
    process.destroy();
  }

  /**
   * Waits up to {@code max} for it to exit; if it has not by then, SIGKILLs it and returns false.
   */
  public boolean awaitExit(Duration max) throws InterruptedException {
    if (process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
      return true;
    }
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    return false;
  }

  /** The exit status, or null while it runs. */
  public Integer exitStatus() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** SIGKILLs it without waiting, if it still runs (for an aborted soak). */
  public void destroyForcibly() {
    process.destroyForcibly();
  }
}
