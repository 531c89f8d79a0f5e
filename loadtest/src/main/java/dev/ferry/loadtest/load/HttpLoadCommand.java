package dev.ferry.loadtest.load;

import dev.ferry.common.Cli.ConfigException;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry-loadtest http}: POSTs a body to a URL, open or closed loop ({@link LoadRun}). */
@Command(
    name = "http",
    mixinStandardHelpOptions = true,
    description = {
      "Loads an HTTP URL with POSTs over persistent connections (one request in flight on each):"
          + " open loop with --rate, else closed loop with --concurrency callers.",
      "Prints progress on stderr and a summary on stdout; --out writes JSON, --html a report.",
      "Every option can also be set with the FERRY_* variable named after it."
    })
public final class HttpLoadCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;
  @Mixin private LoadOptions load;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description = "Target, http://HOST:PORT/PATH (FERRY_URL).")
  private URI url;

  @Override
  public Integer call() throws Exception {
    load.spec();
    HttpTransport transport;
    try {
      transport = HttpTransport.open(url, load.connections(), load.timeout);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return load.run(spec, "http " + url, transport);
  }
}
