package dev.ferry.server.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks whether the service accepts TCP connections, on a thread of its own, for readiness: every
 * {@value #FIRST_CONTACT_INTERVAL_MILLIS} ms until it first does (a sidecar that starts with its
 * service waits for that before consuming), then every {@code interval}. Logs only changes.
 */
public final class UpstreamProbe implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(UpstreamProbe.class);

  /** How often the service is tried until it has accepted a connection once. */
  static final long FIRST_CONTACT_INTERVAL_MILLIS = 100;

  private final String host;
  private final int port;
  private final long intervalMillis;
  private final ScheduledExecutorService scheduler;
  private final CompletableFuture<Void> reached = new CompletableFuture<>();
  private volatile boolean reachable;

  /** Starts probing {@code host:port} at once. */
  public UpstreamProbe(String host, int port, long intervalMillis) {
    this.host = host;
    this.port = port;
    this.intervalMillis = intervalMillis;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-upstream-probe");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.execute(this::probeAndReschedule);
  }

  public boolean isReachable() {
    return reachable;
  }

  /**
   * Probes the service now, on the probe's thread: completes with whether it accepted a connection
   * (false once closed). Updates {@link #isReachable()} as the regular probes do.
   */
  public CompletableFuture<Boolean> check() {
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    try {
      scheduler.execute(() -> result.complete(probe()));
    } catch (RejectedExecutionException e) {
      result.complete(false);
    }
    return result;
  }

  /**
   * Completes (on the probe's thread) when the service accepts a connection for the first time;
   * never fails. Completing it does not affect the probe.
   */
  public CompletableFuture<Void> reached() {
    return reached.copy();
  }

  private void probeAndReschedule() {
    probe();
    try {
      scheduler.schedule(
          this::probeAndReschedule,
          reached.isDone() ? intervalMillis : FIRST_CONTACT_INTERVAL_MILLIS,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  private boolean probe() {
    boolean now;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1_000);
      now = true;
    } catch (IOException e) {
      now = false;
    }
    if (now != reachable) {
      reachable = now;
      if (now) {
        logger.info("upstream accepts connections address={}:{}", host, port);
      } else {
        logger.warn("upstream refuses connections address={}:{}", host, port);
      }
    }
    if (now) {
      reached.complete(null);
    }
    return now;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
