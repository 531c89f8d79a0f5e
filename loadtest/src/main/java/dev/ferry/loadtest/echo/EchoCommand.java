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
 * {@code ferry-loadtest echo}: serves the echo upstream until SIGTERM or SIGINT. Prints exactly one
 * line on stdout, {@code echo listening on http://HOST:PORT}, once it accepts connections.
 */
@Command(
    name = "echo",
    mixinStandardHelpOptions = true,
    description = {
      "Serves an HTTP/1.1 echo upstream: GET /healthz, GET /stats, and anything else echoed back.",
      "Query parameters: status=NNN, delay=MS, size=N, header=name:value (repeatable), close=1,"
          + " chunked=1.",
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

  @Override
  public Integer call() throws InterruptedException {
    EchoConfig config = new EchoConfig(host, port);
    EchoServer server;
    try {
      server = EchoServer.start(config);
    } catch (UncheckedIOException e) {
      throw new ConfigException(e.getMessage());
    }
    Signals.onTerminate(server::close);
    PrintWriter out = spec.commandLine().getOut();
    out.println("echo listening on " + config.url(server.port()));
    out.flush();
    server.awaitClosed();
    return 0;
  }
}
