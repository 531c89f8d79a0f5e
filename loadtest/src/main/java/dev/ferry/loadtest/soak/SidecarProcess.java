package dev.ferry.loadtest.soak;

import java.nio.file.Path;
import java.time.Duration;
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
