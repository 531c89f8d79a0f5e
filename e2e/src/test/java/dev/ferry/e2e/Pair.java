package dev.ferry.e2e;

import dev.ferry.client.ClientSidecar;
import dev.ferry.client.ClientSidecarMain;
import dev.ferry.server.ServerSidecar;
import dev.ferry.server.ServerSidecarMain;
import dev.ferry.testing.RabbitBroker;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the real sidecars in this process, with the production wiring and command line, on free
 * ports, against the test broker; closes what it started.
 */
final class Pair implements AutoCloseable {
  private final RabbitBroker broker;
  final String service;
  private final List<AutoCloseable> started = new ArrayList<>();

  Pair(RabbitBroker broker, String hint) {
    this.broker = broker;
    this.service = broker.newService(hint);
  }

  /** A client sidecar without the default service, only the given flags (routes). */
  ClientSidecar clientWithout(String flag, String... extra) throws Exception {
    List<String> args = new ArrayList<>(clientArgs());
    int at = args.indexOf(flag);
    args.remove(at + 1);
    args.remove(at);
    args.addAll(List.of(extra));
    ClientSidecar client = ClientSidecarMain.start(args.toArray(String[]::new));
    started.add(client);
    return client;
  }

  /** A client sidecar; a flag in {@code extra} replaces its default (e.g. {@code --amqp-uri}). */
  ClientSidecar client(String... extra) throws Exception {
    List<String> args = overriding(clientArgs(), extra);
    ClientSidecar client = ClientSidecarMain.start(args.toArray(String[]::new));
    started.add(client);
    return client;
  }

  private List<String> clientArgs() {
    return List.of(
        "--amqp-uri",
        broker.uri(),
        "--service",
        service,
        "--http-host",
        "127.0.0.1",
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--admin-host",
        "127.0.0.1",
        "--admin-port",
        "0",
        "--queue-type",
        "classic");
  }

  ServerSidecar server(String upstream, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--upstream", upstream));
    args.addAll(List.of(extra));
    return serverWith(args.toArray(String[]::new));
  }

  /** A server sidecar with only the given upstream flags (and extras). */
  ServerSidecar serverWith(String... upstreamAndExtra) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--amqp-uri",
                broker.uri(),
                "--service",
                service,
                "--admin-host",
                "127.0.0.1",
                "--admin-port",
                "0",
                "--queue-type",
                "classic",
                "--drain-timeout",
                "5s"));
    args = overriding(args, upstreamAndExtra);
    ServerSidecar server = ServerSidecarMain.start(args.toArray(String[]::new));
    started.add(server);
    return server;
  }

  /**
   * {@code defaults} (flag-value pairs) without the flags {@code extra} sets, then {@code extra}.
   */
  private static List<String> overriding(List<String> defaults, String... extra) {
    List<String> given = List.of(extra);
    List<String> args = new ArrayList<>();
    for (int i = 0; i < defaults.size(); i += 2) {
      if (!given.contains(defaults.get(i))) {
        args.add(defaults.get(i));
        args.add(defaults.get(i + 1));
      }
    }
    args.addAll(given);
    return args;
  }

  @Override
  public void close() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).close();
    }
  }
}
