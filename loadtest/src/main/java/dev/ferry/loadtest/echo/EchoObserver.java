package dev.ferry.loadtest.echo;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * Told about every request that reaches the echo endpoint, as it arrives (before any {@code
 * delay}): what {@link EchoServer#requests()} counts. Lets a caller of the echo see which requests
 * the service really executed, and when (the fault soak records them this way).
 *
 * <p>Called on the server's event loops, concurrently for different connections: must be
 * thread-safe, quick, and must not block or throw.
 */
@FunctionalInterface
public interface EchoObserver {
  /** Observes nothing. */
  EchoObserver NONE = (method, uri, headers) -> {};

  /**
   * A request arrived: its method, its request target as received, and its headers as they arrived
   * (read-only; not to be kept beyond the call).
   */
  void arrived(String method, String uri, HttpHeaders headers);
}
