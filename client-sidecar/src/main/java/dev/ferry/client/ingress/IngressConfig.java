package dev.ferry.client.ingress;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the HTTP front end listens and what it accepts.
 *
 * @param host the address to listen on
 * @param port the port (0 picks a free one)
 * @param routes which Ferry service each request goes to
 * @param defaultTimeout the deadline of a request without {@code ferry-timeout}
 * @param maxBodySize the largest request body accepted; larger ones get 413
 * @param maxInitialLineLength the longest request line; longer ones get 414
 * @param maxHeaderSize the largest header section; larger ones get 431
 * @param idleTimeout a connection with nothing pending is closed after this long without traffic
 * @param readTimeout a request must arrive whole (head and body) within this long from its first
 *     byte; otherwise 408 and the connection closes ({@code --read-timeout})
 */
public record IngressConfig(
    String host,
    int port,
    Routes routes,
    Duration defaultTimeout,
    int maxBodySize,
    int maxInitialLineLength,
    int maxHeaderSize,
    Duration idleTimeout,
    Duration readTimeout) {

  /** The default of {@code --read-timeout}. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

  public IngressConfig {
    requireNonNull(host, "host");
    requireNonNull(routes, "routes");
    requireNonNull(defaultTimeout, "defaultTimeout");
    requireNonNull(idleTimeout, "idleTimeout");
    requireNonNull(readTimeout, "readTimeout");
  }

  /** A config with the default read timeout. */
  public IngressConfig(
      String host,
      int port,
      Routes routes,
      Duration defaultTimeout,
      int maxBodySize,
      int maxInitialLineLength,
      int maxHeaderSize,
      Duration idleTimeout) {
    this(
        host,
        port,
        routes,
        defaultTimeout,
        maxBodySize,
        maxInitialLineLength,
        maxHeaderSize,
        idleTimeout,
        DEFAULT_READ_TIMEOUT);
  }
}
