package dev.ferry.common;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.SocketConfigurator;
import com.rabbitmq.client.impl.DefaultExceptionHandler;
import com.rabbitmq.client.impl.recovery.RecordedExchange;
import com.rabbitmq.client.impl.recovery.RecordedQueue;
import com.rabbitmq.client.impl.recovery.TopologyRecoveryFilter;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns a sidecar's connection to the broker: connects (retrying while the broker is away at
 * start-up), lets amqp-client recover it and its topology after a loss, and tells whether it is
 * usable now. Credentials in the URI are never logged.
 *
 * <p>Broker resource alarms: while the broker blocks the connection ({@code connection.blocked},
 * sent once the connection publishes during a memory or disk alarm) it reads nothing from it, so a
 * publish, an ack or a close may wait in the socket until the alarm clears. {@link
 * #blockedReason()} says so, {@link #onUnblocked} hears the end of it, and {@link #close()} is
 * bounded all the same: it aborts the connection and closes its socket, which also frees a thread
 * stuck writing to it. A block is a connection's own: it ends when that connection is lost ({@link
 * #onConnectionLost}), before amqp-client opens the next one and consumes on it again.
 */
public final class AmqpConnector implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(AmqpConnector.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  /** How long a polite close may take before the socket is closed under it. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final ConnectionFactory factory;
  private final String redactedUri;
  private final String connectionName;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<String> blockedReason = new AtomicReference<>();
  private final AtomicLong recoveries = new AtomicLong();
  private final List<Runnable> onRecovery = new CopyOnWriteArrayList<>();
  private final List<Runnable> onConnectionLost = new CopyOnWriteArrayList<>();
  private final List<Runnable> onUnblocked = new CopyOnWriteArrayList<>();

  /** The socket of the current (possibly recovered) connection, to close it under a stuck write. */
  private final AtomicReference<Socket> socket = new AtomicReference<>();

  private volatile Connection connection;

  public AmqpConnector(String uri, String connectionName) {
    this.factory = factory(uri);
    // Keeps what factory() set up (with amqps: TLS versions, host name verification).
    SocketConfigurator configured = factory.getSocketConfigurator();
    factory.setSocketConfigurator(
        opened -> {
          configured.configure(opened);
          socket.set(opened);
        });
    factory.setExceptionHandler(
        new DefaultExceptionHandler() {
          @Override
          public void handleUnexpectedConnectionDriverException(
              Connection connection, Throwable exception) {
            if (closed.get()) {
              // The socket closed under the reader by an abort: expected.
              logger.debug("broker connection reader stopped cause={}", exception.toString());
            } else {
              super.handleUnexpectedConnectionDriverException(connection, exception);
            }
          }
        });
    this.redactedUri = redact(uri);
    this.connectionName = connectionName;
  }

  /**
   * A factory for {@code uri} with automatic connection and topology recovery, and the TLS and SASL
   * set-up its query asks for ({@link BrokerUri}: files read and checked here).
   */
  static ConnectionFactory factory(String uri) {
    BrokerUri broker = BrokerUri.parse(uri);
    ConnectionFactory factory = new ConnectionFactory();
    broker.configure(factory); // Before setUri, which keeps this TLS context then.
    try {
      factory.setUri(broker.clientUri());
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
   * Throws an {@link IOException} at once when the broker answers but the TLS handshake fails or
   * the login is refused: waiting does not fix those.
   */
  public Connection connect() throws IOException, InterruptedException {
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
        failIfRefused(e);
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
    return current != null && current.isOpen() && blockedReason.get() == null;
  }

  /**
   * Why the broker blocks this connection (e.g. {@code low on memory}, {@code low on disk space}),
   * or null when it does not. The broker tells a connection only once it publishes during an alarm.
   */
  public String blockedReason() {
    return blockedReason.get();
  }

  /** True while the broker blocks this connection (see {@link #blockedReason()}). */
  public boolean isBlocked() {
    return blockedReason.get() != null;
  }

  /**
   * Runs {@code action} each time the broker stops blocking the connection, on amqp-client's
   * connection thread (so it must not block). Not after a recovery: a new connection starts
   * unblocked, and what waited on the old one is gone with it ({@link #onConnectionLost}).
   */
  public void onUnblocked(Runnable action) {
    onUnblocked.add(action);
  }

  public boolean isConnected() {
    Connection current = connection;
    return current != null && current.isOpen();
  }

  /**
   * Runs {@code action} after each recovery of the connection (on amqp-client's recovery thread),
   * e.g. to declare again what recovery leaves out. The recovered consumers may have been handed
   * deliveries of the new connection before it runs.
   */
  public void onRecovery(Runnable action) {
    onRecovery.add(action);
  }

  /**
   * Runs {@code action} each time the connection is lost, once amqp-client starts recovering it (on
   * its recovery thread, before it opens the new connection): the place to forget what belonged to
   * the old connection, such as deliveries held during an alarm, which the broker has put back in
   * their queue. Nothing of the new connection has arrived yet, and {@link #isBlocked()} is false
   * by then: the new connection starts unblocked.
   */
  public void onConnectionLost(Runnable action) {
    onConnectionLost.add(action);
  }

  /** How many times the connection has been recovered since start-up. */
  public long recoveries() {
    return recoveries.get();
  }

  public String redactedUri() {
    return redactedUri;
  }

  /** Throws when the broker refused this sidecar rather than being unreachable. */
  private void failIfRefused(Exception e) throws IOException {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SSLHandshakeException || cause instanceof CertificateException) {
        throw new IOException(
            "broker TLS handshake failed uri="
                + redactedUri
                + " cause="
                + describe(cause)
                + " (check --amqp-ca-file, the host name in the URI, --amqp-cert-file)",
            e);
      }
      if (cause instanceof AuthenticationFailureException) {
        throw new IOException(
            "broker refused the login uri="
                + redactedUri
                + " cause="
                + describe(cause)
                + " (check the user, the password, --amqp-sasl)",
            e);
      }
    }
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
        blockedReason.set(reason == null || reason.isEmpty() ? "resource alarm" : reason);
        logger.warn("broker blocks this connection (resource alarm) reason={}", reason);
      }

      @Override
      public void handleUnblocked() {
        if (blockedReason.getAndSet(null) != null) {
          logger.info("broker unblocked this connection");
        }
        runAll(onUnblocked, "after-unblock");
      }
    };
  }

  private RecoveryListener recoveryListener() {
    return new RecoveryListener() {
      @Override
      public void handleRecovery(Recoverable recoverable) {
        // The block, if any, was cleared when the connection was lost: one seen now is the new
        // connection's (amqp-client listens for them before it recovers channels and consumers).
        recoveries.incrementAndGet();
        logger.info("broker connection recovered name={}", connectionName);
        runAll(onRecovery, "after-recovery");
      }

      @Override
      public void handleRecoveryStarted(Recoverable recoverable) {
        logger.warn("broker connection lost, recovering name={}", connectionName);
        // Before the new connection opens: it starts unblocked, and from here on a block is its.
        if (blockedReason.getAndSet(null) != null) {
          logger.info("the blocked connection is gone, so is its block name={}", connectionName);
        }
        runAll(onConnectionLost, "connection-lost");
      }
    };
  }

  private static void runAll(List<Runnable> actions, String what) {
    for (Runnable action : actions) {
      try {
        action.run();
      } catch (RuntimeException e) {
        logger.warn("{} action failed cause={}", what, e.toString());
      }
    }
  }

  /**
   * Closes the connection, within about 5 s whatever the broker does. Idempotent. A blocked
   * connection is aborted at once: the broker would read neither the close nor anything else. A
   * close that does not finish in time (a thread holds the connection's socket in a write that
   * cannot end) is turned into an abort too.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Connection current = connection;
    if (current == null || !current.isOpen()) {
      return;
    }
    if (isBlocked()) {
      logger.info("broker blocks this connection, aborting it instead of closing it");
      abort(current);
      return;
    }
    Thread closer =
        new Thread(
            () -> {
              try {
                current.close((int) CLOSE_TIMEOUT.toMillis());
              } catch (IOException | RuntimeException e) {
                logger.debug("closing broker connection failed", e);
              }
            },
            "ferry-amqp-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(CLOSE_TIMEOUT.toMillis() + 500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      logger.warn("broker connection did not close in time, aborting it");
      abort(current);
    }
  }

  /**
   * Aborts {@code current} without waiting for the broker: marks it closed on purpose (so that it
   * is not recovered), then closes its socket, which ends any write stuck in it.
   */
  private void abort(Connection current) {
    Thread aborter = new Thread(() -> current.abort(1_000), "ferry-amqp-abort");
    aborter.setDaemon(true);
    aborter.start();
    try {
      // Long enough for the abort to mark the connection closed on purpose; it may then wait on
      // the socket, which is closed below.
      aborter.join(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Socket open = socket.get();
    if (open != null) {
      try {
        open.close();
      } catch (IOException e) {
        logger.debug("closing broker socket failed", e);
      }
    }
  }
}
