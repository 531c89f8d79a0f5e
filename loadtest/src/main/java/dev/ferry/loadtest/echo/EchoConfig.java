package dev.ferry.loadtest.echo;

import dev.ferry.common.Cli.ConfigException;

/**
 * Where the echo server listens.
 *
 * @param host {@code --host} / {@code FERRY_HOST}, default {@code 127.0.0.1}: the address to bind;
 *     {@code 0.0.0.0} listens on every interface. Must not be blank.
 * @param port {@code --port} / {@code FERRY_PORT}, default {@code 8000}: the TCP port; {@code 0}
 *     picks a free one.
 */
record EchoConfig(String host, int port) {
  EchoConfig {
    if (host == null || host.isBlank()) {
      throw new ConfigException("--host: '" + host + "' (expected: a host name or address)");
    }
    if (port < 0 || port > 65_535) {
      throw new ConfigException("--port: " + port + " (expected: 0..65535, 0 picks a free port)");
    }
  }

  /** The base URL clients use, with IPv6 literals in brackets. */
  String url(int boundPort) {
    String shown = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + boundPort;
  }
}
