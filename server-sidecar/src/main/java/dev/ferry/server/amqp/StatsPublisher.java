package dev.ferry.server.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.ferry.common.AmqpChannels;
import dev.ferry.protocol.AmqpMessage;
import dev.ferry.protocol.Ids;
import dev.ferry.protocol.InstanceStats;
import dev.ferry.protocol.MessageSigner;
import dev.ferry.protocol.StatsCodec;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the scaler how many requests this instance holds (PROTOCOL.md section 17): a {@code
 * ferry.stats} report to the fanout exchange {@value StatsCodec#EXCHANGE} every second, and within
 * {@value #TICK_MILLIS} ms when the count turns from 0 to more or back; the last one, on {@link
 * #close()}, says the instance is gone. Reports are signed like every other message, transient,
 * neither mandatory nor confirmed: a lost one is replaced by the next.
 *
 * <p>Best effort, and apart from the requests: owns its thread ({@code ferry-stats}) and its
 * channel; publishes nothing while the broker blocks the connection; a channel the broker closes
 * (no permission on the exchange, say) is replaced after 1 s, then 2 s, … up to a minute, with one
 * warning until it works again.
 */
public final class StatsPublisher implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(StatsPublisher.class);

  static final long INTERVAL_MILLIS = 1_000;
  static final long TICK_MILLIS = 50;

  /** How long the scaler counts a report: three missed reports mean the instance is gone. */
  static final long EXPIRES_MILLIS = 3 * INTERVAL_MILLIS;

  private static final long MAX_BACKOFF_MILLIS = 60_000;
  private static final int NOT_FOUND = 404;

  private final Connection connection;
  private final String service;
  private final String instance = Ids.random128();
  private final int concurrency;
  private final IntSupplier inFlight;
  private final BooleanSupplier blocked;
  private final MessageSigner signer;
  private final ScheduledExecutorService thread;

  // Owned by the stats thread.
  private Channel channel;
  private long openedAtNanos;
  private long lastReportNanos;
  private long lastInFlight = -1;
  private int failures;
  private boolean tickFailed;
  private long retryAtNanos;

  private volatile boolean channelDead;
  private volatile boolean closed;

  private StatsPublisher(
      Connection connection,
      String service,
      int concurrency,
      IntSupplier inFlight,
      BooleanSupplier blocked,
      MessageSigner signer) {
    this.connection = connection;
    this.service = service;
    this.concurrency = concurrency;
    this.inFlight = inFlight;
    this.blocked = blocked;
    this.signer = signer;
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            runnable -> {
              Thread t = new Thread(runnable, "ferry-stats");
              t.setDaemon(true);
              return t;
            });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.thread = executor;
  }

  /**
   * Starts reporting {@code inFlight} for {@code service} on {@code connection} (which the caller
   * keeps owning); {@code blocked} tells when the broker blocks the connection.
   */
  public static StatsPublisher start(
      Connection connection,
      String service,
      int concurrency,
      IntSupplier inFlight,
      BooleanSupplier blocked,
      MessageSigner signer) {
    StatsPublisher publisher =
        new StatsPublisher(connection, service, concurrency, inFlight, blocked, signer);
    publisher.thread.scheduleAtFixedRate(publisher::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    return publisher;
  }

  /** This instance's identifier in its reports. */
  public String instance() {
    return instance;
  }

  /** Never throws: an exception would end the schedule, and with it every report. */
  private void tick() {
    try {
      tickOnce();
    } catch (RuntimeException e) {
      if (!tickFailed) {
        tickFailed = true;
        logger.warn("stats report tick failed, going on", e);
      } else {
        logger.debug("stats report tick failed again cause={}", e.toString());
      }
    }
  }

  private void tickOnce() {
    long now = System.nanoTime();
    int count = inFlight.getAsInt();
    boolean turned = lastInFlight < 0 || (count > 0) != (lastInFlight > 0);
    if (turned || now - lastReportNanos >= TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS)) {
      // Counted as reported even when it could not be: the next report is at most 1 s away.
      lastInFlight = count;
      lastReportNanos = now;
      report(count, EXPIRES_MILLIS, now);
    }
  }

  private void report(long count, long expiresMillis, long now) {
    if (blocked.getAsBoolean()) {
      return; // The broker reads nothing from this connection now.
    }
    Channel open = usableChannel(now);
    if (open == null) {
      return;
    }
    AmqpMessage message =
        signer.sign(
            StatsCodec.encode(
                new InstanceStats(service, instance, count, concurrency, expiresMillis),
                System.currentTimeMillis()),
            StatsCodec.EXCHANGE,
            "");
    try {
      open.basicPublish(StatsCodec.EXCHANGE, "", false, message.properties(), message.body());
    } catch (IOException | ShutdownSignalException e) {
      // Lost with the connection (recovery brings the channel back) or closed by the broker.
      logger.debug("stats report not published cause={}", e.toString());
    }
  }

  /**
   * The channel to publish on: the current one unless the broker closed it, else a new one once the
   * backoff allows; null when there is none now. A channel closed by a connection loss is kept:
   * recovery brings it back.
   */
  private Channel usableChannel(long now) {
    if (channel != null && !channelDead) {
      if (failures > 0 && now - openedAtNanos > TimeUnit.MILLISECONDS.toNanos(MAX_BACKOFF_MILLIS)) {
        failures = 0;
        logger.info("stats reports flow again exchange={}", StatsCodec.EXCHANGE);
      }
      return channel;
    }
    if (channel != null) {
      failed(now, "the broker closed the channel: " + describe(channel.getCloseReason()));
      // Aborted, so that the connection forgets it: else its recovery would reopen it, leaked.
      AmqpChannels.abort(channel);
      channel = null;
    }
    if (closed || (failures > 0 && now - retryAtNanos < 0)) {
      return null;
    }
    try {
      channel = open();
      openedAtNanos = now;
      return channel;
    } catch (IOException | RuntimeException e) {
      failed(now, e.getCause() instanceof ShutdownSignalException s ? describe(s) : e.toString());
      return null;
    }
  }

  private void failed(long now, String cause) {
    failures++;
    long backoff = Math.min(MAX_BACKOFF_MILLIS, INTERVAL_MILLIS << Math.min(failures - 1, 16));
    retryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(backoff);
    if (failures == 1) {
      logger.warn(
          "cannot publish stats reports, the scaler will not count this instance's requests;"
              + " retrying with backoff exchange={} cause={}",
          StatsCodec.EXCHANGE,
          cause);
    } else {
      logger.debug("stats reports still failing retry_in_ms={} cause={}", backoff, cause);
    }
  }

  /** A channel on which the exchange exists: declared unless it already does. */
  private Channel open() throws IOException {
    Channel probe = newChannel();
    try {
      probe.exchangeDeclarePassive(StatsCodec.EXCHANGE);
      return watched(probe);
    } catch (IOException e) {
      AmqpChannels.closeQuietly(probe); // Aborts it when the 404 closed it: see there.
      if (!(e.getCause() instanceof ShutdownSignalException signal
          && signal.getReason() instanceof AMQP.Channel.Close close
          && close.getReplyCode() == NOT_FOUND)) {
        throw e;
      }
    }
    Channel fresh = newChannel();
    try {
      fresh.exchangeDeclare(StatsCodec.EXCHANGE, "fanout", true);
      return watched(fresh);
    } catch (IOException | RuntimeException e) {
      AmqpChannels.closeQuietly(fresh);
      throw e;
    }
  }

  private Channel newChannel() throws IOException {
    Channel opened = connection.createChannel();
    if (opened == null) {
      throw new IOException("no free channel number");
    }
    return opened;
  }

  /** {@code opened}, watched: {@link #channelDead} once the broker closes it. */
  private Channel watched(Channel opened) {
    channelDead = false;
    opened.addShutdownListener(
        cause -> {
          if (!cause.isHardError()) {
            channelDead = true; // Closed on its own: recovery does not bring it back.
          }
        });
    return opened;
  }

  private static String describe(ShutdownSignalException cause) {
    if (cause == null) {
      return "unknown cause";
    }
    return cause.getReason() instanceof AMQP.Channel.Close close
        ? close.getReplyCode() + " " + close.getReplyText()
        : cause.getMessage();
  }

  /**
   * Publishes the last report (the instance is gone: it no longer counts) and closes the channel.
   * Call it once the in-flight requests are settled. Bounded to about 1 s; idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (blocked.getAsBoolean()) {
      // The broker reads nothing now, and a publish begun before it said so may hold the thread:
      // no last report (the instance expires instead), no waiting; aborting the connection ends it.
      thread.shutdownNow();
      return;
    }
    try {
      thread.execute(
          () -> {
            if (channel != null && !channelDead) {
              report(0, 0, System.nanoTime());
            }
            if (channel != null) {
              AmqpChannels.closeQuietly(channel); // Aborts one the broker closed.
            }
          });
    } catch (RejectedExecutionException e) {
      // Already shut down.
    }
    thread.shutdown();
    try {
      if (!thread.awaitTermination(1, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      thread.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
