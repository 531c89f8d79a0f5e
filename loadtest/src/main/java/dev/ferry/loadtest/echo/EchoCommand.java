package dev.ferry.loadtest.echo;

import dev.ferry.common.Cli.ConfigException;
import dev.ferry.common.Signals;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry-loadtest echo}: serves the echo upstream until SIGTERM or SIGINT. Prints one line on
 * stdout, {@code echo listening on http://HOST:PORT}, once it accepts connections, and with {@code
 * --grpc-port} a second one, {@code echo grpc listening on HOST:PORT} (see {@link EchoGrpcServer}).
 */
@Command(
    name = "echo",
    mixinStandardHelpOptions = true,
    description = {
      "Serves an HTTP/1.1 echo upstream: GET /healthz, GET /stats, and anything else echoed back.",
      "Query parameters: status=NNN, delay=MS, size=N, header=name:value (repeatable), close=1,"
          + " chunked=1.",
      "With --grpc-port, also serves gRPC: any method, unary, answered with the request bytes.",
      "Every option can also be set with the FERRY_* variable named after it."
    })
public final class EchoCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "8000",
      paramLabel = "PORT",
      description =
          "TCP port to listen on; 0 picks a free one (FERRY_PORT, default: ${DEFAULT-VALUE}).")
  private int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      paramLabel = "HOST",
      description =
          "Address to bind; 0.0.0.0 for every interface (FERRY_HOST, default: ${DEFAULT-VALUE}).")
  private String host;

  @Option(
      names = "--grpc-port",
      defaultValue = "-1",
      paramLabel = "PORT",
      description =
          "Also serve gRPC (plaintext) on this port: every method echoes the request message; 0"
              + " picks a free port (FERRY_GRPC_PORT, default: none).")
  private int grpcPort;

  @Override
  public Integer call() throws InterruptedException {
    EchoConfig config = new EchoConfig(host, port);
    if (grpcPort < -1 || grpcPort > 65_535) {
      throw new ConfigException(
          "--grpc-port: " + grpcPort + " (expected: 0..65535, 0 picks a free port)");
    }
    EchoServer server;
    try {
      server = EchoServer.start(config);
    } catch (UncheckedIOException e) {
      throw new ConfigException(e.getMessage());
    }
    EchoGrpcServer grpc = null;
    if (grpcPort >= 0) {
      try {
        grpc = EchoGrpcServer.start(host, grpcPort);
      } catch (UncheckedIOException e) {
        server.close();
        throw new ConfigException("--grpc-port: " + e.getMessage());
      }
    }
    EchoGrpcServer grpcServer = grpc;
    Signals.onTerminate(
        () -> {
          if (grpcServer != null) {
            grpcServer.close();
          }
          server.close();
        });
    PrintWriter out = spec.commandLine().getOut();
    out.println("echo listening on " + config.url(server.port()));
    if (grpcServer != null) {
      out.println("echo grpc listening on " + host + ":" + grpcServer.port());
    }
    out.flush();
    server.awaitClosed();
    return 0;
  }
}
