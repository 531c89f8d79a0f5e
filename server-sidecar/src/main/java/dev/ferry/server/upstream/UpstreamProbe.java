package dev.ferry.server.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every {@code interval} whether the service accepts TCP connections, on a thread of its
 * own, for readiness. Logs only changes.
 */
public final class UpstreamProbe implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(UpstreamProbe.class);

  private final String host;
  private final int port;
  private final ScheduledExecutorService scheduler;
  private volatile boolean reachable;

  public UpstreamProbe(String host, int port, long intervalMillis) {
    this.host = host;
    this.port = port;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "ferry-upstream-probe");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(this::probe, 0, intervalMillis, TimeUnit.MILLISECONDS);
  }

  public boolean isReachable() {
    return reachable;
  }

  private void probe() {
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
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
