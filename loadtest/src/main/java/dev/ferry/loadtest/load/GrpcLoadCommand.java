package dev.ferry.loadtest.load;

import dev.ferry.common.Cli.ConfigException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry-loadtest grpc}: unary calls with a raw-bytes body, open or closed loop. */
@Command(
    name = "grpc",
    mixinStandardHelpOptions = true,
    description = {
      "Loads a gRPC target (plaintext) with unary calls of one method, the body as the raw"
          + " request message: open loop with --rate, else closed loop with --concurrency callers.",
      "Prints progress on stderr and a summary on stdout; --out writes JSON, --html a report.",
      "Every option can also be set with the FERRY_* variable named after it."
    })
public final class GrpcLoadCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;
  @Mixin private LoadOptions load;

  @Option(
      names = "--target",
      required = true,
      paramLabel = "HOST:PORT",
      description = "The gRPC server (FERRY_TARGET).")
  private String target;

  @Option(
      names = "--method",
      defaultValue = GrpcTransport.DEFAULT_METHOD,
      paramLabel = "SERVICE/METHOD",
      description = "Full method name (FERRY_METHOD, default: ${DEFAULT-VALUE}).")
  private String method;

  @Override
  public Integer call() throws Exception {
    load.spec();
    if (!method.contains("/")) {
      throw new ConfigException("--method: '" + method + "' (expected: package.Service/Method)");
    }
    // One HTTP/2 connection carries many calls; a few spread the work over event loops.
    int connections = load.connections > 0 ? load.connections : Math.min(load.connections(), 4);
    GrpcTransport transport;
    try {
      transport = GrpcTransport.open(target, method, connections, load.timeout);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return load.run(spec, "grpc " + target, transport);
  }
}
