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
 */
public record IngressConfig(
    String host,
    int port,
    Routes routes,
    Duration defaultTimeout,
    int maxBodySize,
    int maxInitialLineLength,
    int maxHeaderSize,
    Duration idleTimeout) {

  public IngressConfig {
    requireNonNull(host, "host");
    requireNonNull(routes, "routes");
    requireNonNull(defaultTimeout, "defaultTimeout");
    requireNonNull(idleTimeout, "idleTimeout");
  }
}
