package dev.ferry.scaler.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.protocol.Topology;
import dev.ferry.scaler.load.Loads;
import dev.ferry.scaler.load.ServiceLoad;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the ready count of every watched service's request queue every poll interval, with a
 * passive {@code queue.declare} (its {@code message-count}; no management plugin, no permission
 * needed), on its own thread ({@code ferry-scaler-poller}) and channel. A queue that does not exist
 * counts as 0; as its 404 closes the channel and the broker logs each one, such a queue is looked
 * for again after 1 s, then 2 s, up to {@link #MAX_MISSING_BACKOFF} rather than every interval.
 */
public final class DepthPoller implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(DepthPoller.class);
  private static final int NOT_FOUND = 404;

  /** The longest wait before looking again for a queue that did not exist. */
  static final Duration MAX_MISSING_BACKOFF = Duration.ofSeconds(5);

  private final Connection connection;
  private final Loads loads;
  private final long intervalMillis;
  private final ScheduledThreadPoolExecutor thread;
  private final AtomicLong failures = new AtomicLong();
  private volatile Channel deadChannel; // The last channel the broker closed.

  // Poller thread only.
  private Channel channel;
  private boolean failing;
  private final Map<String, Missing> missing = new HashMap<>();

  /** A queue found missing {@code times} in a row, looked for again at {@code nextNanos}. */
  private record Missing(int times, long nextNanos) {}

  /** Polls the services {@code loads} watches on {@code connection}, which the caller owns. */
  public DepthPoller(Connection connection, Loads loads, Duration interval) {
    this.connection = connection;
    this.loads = loads;
    this.intervalMillis = interval.toMillis();
    this.thread =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t = new Thread(runnable, "ferry-scaler-poller");
              t.setDaemon(true);
              return t;
            });
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  public void start() {
    thread.scheduleWithFixedDelay(this::pollAll, 0, intervalMillis, TimeUnit.MILLISECONDS);
  }

  /** Polls as soon as possible (a service just started being watched); never blocks. */
  public void pollSoon() {
    try {
      thread.execute(this::pollAll);
    } catch (RejectedExecutionException e) {
      // Closed.
    }
  }

  /** Polls that failed for another reason than a missing queue (e.g. the connection was down). */
  public long failures() {
    return failures.get();
  }

  private void pollAll() {
    try {
      for (ServiceLoad load : loads.watched()) {
        poll(load);
      }
      loads.sweep();
    } catch (RuntimeException e) {
      logger.warn("polling queue depths failed", e); // Keeps the schedule alive.
    }
  }

  private void poll(ServiceLoad load) {
    String queue = Topology.requestQueue(load.service());
    Missing absent = missing.get(queue);
    long now = System.nanoTime();
    if (absent != null && now - absent.nextNanos() < 0) {
      return;
    }
    try {
      load.ready(channel().queueDeclarePassive(queue).getMessageCount());
      missing.remove(queue);
      if (failing) {
        failing = false;
        logger.info("queue depths readable again");
      }
    } catch (IOException e) {
      if (isNotFound(e)) {
        // The 404 closed the channel; the next poll opens another. Aborted, so that the
        // connection forgets it: else its recovery would reopen it, leaked.
        dropChannel();
        missed(queue, absent, now);
        load.ready(0);
      } else {
        failed(queue, e);
      }
    } catch (ShutdownSignalException e) {
      failed(queue, e); // The connection is down; amqp-client recovers it and the channel.
    }
  }

  private void missed(String queue, Missing before, long now) {
    int times = before == null ? 1 : before.times() + 1;
    long backoff = Math.min(MAX_MISSING_BACKOFF.toMillis(), 1_000L << Math.min(times - 1, 10));
    missing.put(queue, new Missing(times, now + TimeUnit.MILLISECONDS.toNanos(backoff)));
    if (times == 1) {
      logger.info("queue does not exist (yet), counting 0 queue={}", queue);
    }
  }

  private void failed(String queue, Exception e) {
    failures.incrementAndGet();
    if (!failing) {
      failing = true;
      logger.warn("cannot read queue depths, retrying queue={} cause={}", queue, e.toString());
    }
  }

  /**
   * The channel to poll on; a new one when the broker closed the last (a 404 does). One closed by a
   * connection loss is kept: recovery brings it back.
   */
  private Channel channel() throws IOException {
    if (channel != null && channel == deadChannel) {
      dropChannel(); // Closed by a channel-level error: aborted, else recovery would reopen it.
    }
    if (channel == null) {
      Channel opened = connection.createChannel();
      if (opened == null) {
        throw new IOException("no free channel number");
      }
      opened.addShutdownListener(
          cause -> {
            if (!cause.isHardError()) {
              deadChannel = opened; // May come after a new channel replaced it: then harmless.
            }
          });
      channel = opened;
    }
    return channel;
  }

  /** Lets go of the channel: aborts it (the connection forgets it) and polls on another next. */
  private void dropChannel() {
    Channel dropped = channel;
    channel = null;
    if (dropped != null) {
      AmqpChannels.abort(dropped);
    }
  }

  private static boolean isNotFound(IOException e) {
    return e.getCause() instanceof ShutdownSignalException signal
        && signal.getReason() instanceof AMQP.Channel.Close close
        && close.getReplyCode() == NOT_FOUND;
  }

  /** Stops polling (waiting at most 2 s for a poll under way) and closes the channel. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(2, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      thread.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (channel != null) {
      AmqpChannels.closeQuietly(channel); // Aborts it when it is already closed.
    }
  }
}
