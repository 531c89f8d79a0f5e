package dev.ferry.common;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns a sidecar's connection to the broker: connects (retrying while the broker is away at
 * start-up), lets amqp-client recover it and its topology after a loss, and tells whether it is
 * usable now. Credentials in the URI are never logged.
 */
public final class AmqpConnector implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(AmqpConnector.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final ConnectionFactory factory;
  private final String redactedUri;
  private final String connectionName;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean blocked = new AtomicBoolean();
  private final AtomicLong recoveries = new AtomicLong();
  private final List<Runnable> onRecovery = new CopyOnWriteArrayList<>();
  private volatile Connection connection;

  public AmqpConnector(String uri, String connectionName) {
    this.factory = factory(uri);
    this.redactedUri = redact(uri);
    this.connectionName = connectionName;
  }

  /** A factory for {@code uri} with automatic connection and topology recovery. */
  static ConnectionFactory factory(String uri) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(uri);
    } catch (URISyntaxException | GeneralSecurityException | IllegalArgumentException e) {
      throw new Cli.ConfigException("--amqp-uri: not a valid AMQP URI: " + redact(uri));
    }
    if (factory.getVirtualHost().isEmpty()) {
      // "amqp://host:5672/" names the empty vhost by the letter of the URI spec; everyone means
      // "/".
      factory.setVirtualHost("/");
    }
    factory.setAutomaticRecoveryEnabled(true);
    factory.setTopologyRecoveryEnabled(true);
    factory.setTopologyRecoveryFilter(
        new TopologyRecoveryFilter() {
          @Override
          public boolean filterQueue(RecordedQueue queue) {
            return !Topologies.declaredOnTheSide(queue.getName());
          }

          @Override
          public boolean filterExchange(RecordedExchange exchange) {
            return !exchange.getName().startsWith("ferry.");
          }
        });
    factory.setNetworkRecoveryInterval(RETRY.toMillis());
    factory.setRequestedHeartbeat(10);
    factory.setConnectionTimeout(5_000);
    return factory;
  }

  /** The URI with its password replaced by {@code ***}. */
  public static String redact(String uri) {
    try {
      URI parsed = new URI(uri);
      String userInfo = parsed.getRawUserInfo();
      if (userInfo == null || !userInfo.contains(":")) {
        return uri;
      }
      String user = userInfo.substring(0, userInfo.indexOf(':'));
      return uri.replace(userInfo + "@", user + ":***@");
    } catch (URISyntaxException e) {
      return "<unparseable AMQP URI>";
    }
  }

  /**
   * Connects, retrying every second while the broker cannot be reached; returns the open,
   * self-recovering connection, or throws {@link InterruptedException} when closed meanwhile.
   */
  public Connection connect() throws InterruptedException {
    boolean warned = false;
    while (!closed.get()) {
      try {
        Connection opened = factory.newConnection(connectionName);
        opened.addBlockedListener(blockedListener());
        ((Recoverable) opened).addRecoveryListener(recoveryListener());
        connection = opened;
        logger.info("connected to broker uri={} name={}", redactedUri, connectionName);
        return opened;
      } catch (IOException | TimeoutException e) {
        if (!warned) {
          logger.warn(
              "broker unreachable, retrying every {}s uri={} cause={}",
              RETRY.toSeconds(),
              redactedUri,
              describe(e));
          warned = true;
        }
        Thread.sleep(RETRY.toMillis());
      }
    }
    throw new InterruptedException("connector closed");
  }

  /** True while the connection is open and the broker is not blocking publishers. */
  public boolean isUsable() {
    Connection current = connection;
    return current != null && current.isOpen() && !blocked.get();
  }

  public boolean isConnected() {
    Connection current = connection;
    return current != null && current.isOpen();
  }

  /**
   * Runs {@code action} after each recovery of the connection (on amqp-client's recovery thread),
   * e.g. to declare again what recovery leaves out.
   */
  public void onRecovery(Runnable action) {
    onRecovery.add(action);
  }

  /** How many times the connection has been recovered since start-up. */
  public long recoveries() {
    return recoveries.get();
  }

  public String redactedUri() {
    return redactedUri;
  }

  private static String describe(Throwable e) {
    Throwable cause = e;
    while (cause.getMessage() == null && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  private BlockedListener blockedListener() {
    return new BlockedListener() {
      @Override
      public void handleBlocked(String reason) {
        blocked.set(true);
        logger.warn("broker blocked publishing reason={}", reason);
      }

      @Override
      public void handleUnblocked() {
        blocked.set(false);
        logger.info("broker unblocked publishing");
      }
    };
  }

  private RecoveryListener recoveryListener() {
    return new RecoveryListener() {
      @Override
      public void handleRecovery(Recoverable recoverable) {
        recoveries.incrementAndGet();
        blocked.set(false);
        logger.info("broker connection recovered name={}", connectionName);
        for (Runnable action : onRecovery) {
          try {
            action.run();
          } catch (RuntimeException e) {
            logger.warn("after-recovery action failed cause={}", e.toString());
          }
        }
      }

      @Override
      public void handleRecoveryStarted(Recoverable recoverable) {
        logger.warn("broker connection lost, recovering name={}", connectionName);
      }
    };
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      Connection current = connection;
      if (current != null && current.isOpen()) {
        try {
          current.close(5_000);
        } catch (IOException | RuntimeException e) {
          logger.debug("closing broker connection failed", e);
        }
      }
    }
  }
}
