package dev.ferry.loadtest.bench;

import dev.ferry.loadtest.soak.AdminProbe;
import dev.ferry.loadtest.soak.SidecarProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One sidecar of the bench as a child JVM from its jar, the way its image runs it: the image's JVM
 * flags, settings as flags, the broker URI in {@code FERRY_AMQP_URI} and no other {@code FERRY_*}
 * variable, output to a log file. Knows how long it took from spawn to its first {@code /readyz}
 * 200.
 */
final class BenchSidecar implements AutoCloseable {
  private final String role;
  private final Process process;
  private final SidecarProcess sidecar;
  private final long startToReadyNanos;

  private BenchSidecar(String role, Process process, SidecarProcess sidecar, long readyNanos) {
    this.role = role;
    this.process = process;
    this.sidecar = sidecar;
    this.startToReadyNanos = readyNanos;
  }

  /**
   * Spawns {@code java <jvmOptions> -jar <jar> <args> --admin-host 127.0.0.1 --admin-port P} and
   * returns once {@code /readyz} answers 200.
   *
   * @throws IOException when it cannot be spawned, exits, or is not ready within {@code patience}
   */
  static BenchSidecar start(
      String role,
      Path jar,
      List<String> jvmOptions,
      List<String> args,
      String amqpUri,
      Path logDir,
      Duration patience)
      throws IOException, InterruptedException {
    int adminPort = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    command.addAll(args);
    command.addAll(
        List.of("--admin-host", "127.0.0.1", "--admin-port", Integer.toString(adminPort)));
    Path log = logDir.resolve(role + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("FERRY_"));
    builder.environment().put("FERRY_AMQP_URI", amqpUri);
    long spawned = System.nanoTime();
    Process process = builder.start();
    SidecarProcess sidecar =
        new SidecarProcess(0, role.equals("client") ? -1 : 0, process, adminPort, log);
    long deadline = spawned + patience.toNanos();
    while (!AdminProbe.ready(adminPort)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new IOException(
            role
                + " sidecar "
                + (process.isAlive() ? "not ready in " + patience : "exited")
                + "; see "
                + log);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return new BenchSidecar(role, process, sidecar, System.nanoTime() - spawned);
  }

  String role() {
    return role;
  }

  long pid() {
    return process.pid();
  }

  double startToReadyMillis() {
    return startToReadyNanos / 1e6;
  }

  OptionalLong cpuTicks() {
    return ProcFs.cpuTicks(pid());
  }

  OptionalLong peakRssKib() {
    return ProcFs.peakRssKib(pid());
  }

  Path log() {
    return sidecar.log();
  }

  /** SIGTERM, then SIGKILL if it has not exited within 15 s. */
  @Override
  public void close() throws InterruptedException {
    sidecar.terminate();
    sidecar.awaitExit(Duration.ofSeconds(15));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
