package dev.ferry.loadtest.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.ferry.common.Cli.ConfigException;
import dev.ferry.loadtest.echo.EchoGrpcServer;
import dev.ferry.loadtest.echo.EchoServer;
import dev.ferry.loadtest.load.GrpcTransport;
import dev.ferry.loadtest.load.HtmlReport;
import dev.ferry.loadtest.load.HttpTransport;
import dev.ferry.loadtest.load.LoadResult;
import dev.ferry.loadtest.load.LoadRun;
import dev.ferry.loadtest.load.LoadSpec;
import dev.ferry.loadtest.load.Transport;
import dev.ferry.loadtest.rawrpc.RawRpc;
import dev.ferry.loadtest.soak.Json;
import dev.ferry.protocol.QueueType;
import dev.ferry.protocol.Topology;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry-loadtest bench}: on one machine and one broker, loads (a) the echo directly over
 * HTTP, (b) raw RabbitMQ RPC with the plain amqp-client, (c) HTTP and (d) gRPC through a Ferry
 * sidecar pair, each at low load (latency) and at saturation (throughput), closed loop, and prints
 * one table with the ratios to raw RPC, CPU per request of each sidecar and of the broker, peak RSS
 * and start-to-ready of each sidecar, and the targets marked PASS or MISS.
 *
 * <p>The echo (HTTP and gRPC) and the load generator run in this JVM; the sidecars run as child
 * JVMs from their jars with the flags of their images, {@code -XX:MaxRAM=192m} standing in for the
 * container's memory limit.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Compares, closed loop at low load and at saturation: (a) HTTP to the echo directly, (b) raw"
          + " RabbitMQ RPC (amqp-client), (c) HTTP and (d) gRPC through a Ferry sidecar pair"
          + " started from their jars. Prints a markdown table with the targets (PASS/MISS).",
      "Every option can also be set with the FERRY_* variable named after it."
    })
public final class BenchCommand implements Callable<Integer> {
  /** The images' JAVA_TOOL_OPTIONS and entrypoint flag, and a 192 MiB "container". */
  static final String IMAGE_JVM_OPTIONS =
      "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MinRAMPercentage=50 -XX:MaxRAMPercentage=50"
          + " -XX:+ExitOnOutOfMemoryError -XX:MaxRAM=192m";

  @Spec private CommandSpec spec;

  @Option(
      names = "--amqp-uri",
      defaultValue = "amqp://guest:guest@127.0.0.1:5672/",
      description = "Broker (FERRY_AMQP_URI, default: ${DEFAULT-VALUE}).")
  private String amqpUri;

  @Option(
      names = "--queue-type",
      defaultValue = "quorum",
      description =
          "Request queues of raw RPC and of the sidecars: quorum or classic (FERRY_QUEUE_TYPE,"
              + " default: ${DEFAULT-VALUE}, the sidecars' default).")
  private String queueType;

  @Option(
      names = "--duration",
      defaultValue = "15s",
      description = "Measured time per cell (FERRY_DURATION, default: ${DEFAULT-VALUE}).")
  private Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "5s",
      description = "Load before each measured time (FERRY_WARMUP, default: ${DEFAULT-VALUE}).")
  private Duration warmup;

  @Option(
      names = "--low-concurrency",
      defaultValue = "1",
      description = "Callers for latency (FERRY_LOW_CONCURRENCY, default: ${DEFAULT-VALUE}).")
  private int lowConcurrency;

  @Option(
      names = "--high-concurrency",
      defaultValue = "64",
      description = "Callers for saturation (FERRY_HIGH_CONCURRENCY, default: ${DEFAULT-VALUE}).")
  private int highConcurrency;

  @Option(
      names = "--server-concurrency",
      paramLabel = "N",
      description =
          "The server sidecar's --concurrency (requests at once and consumer prefetch)"
              + " (FERRY_SERVER_CONCURRENCY, default: --high-concurrency, like raw RPC's prefetch).")
  private Integer serverConcurrency;

  @Option(
      names = "--body-size",
      defaultValue = "512",
      description = "Request body in bytes (FERRY_BODY_SIZE, default: ${DEFAULT-VALUE}).")
  private int bodySize;

  @Option(
      names = "--client-jar",
      defaultValue = "client-sidecar/target/ferry-client-sidecar.jar",
      description = "The client sidecar's jar (FERRY_CLIENT_JAR, default: ${DEFAULT-VALUE}).")
  private Path clientJar;

  @Option(
      names = "--server-jar",
      defaultValue = "server-sidecar/target/ferry-server-sidecar.jar",
      description = "The server sidecar's jar (FERRY_SERVER_JAR, default: ${DEFAULT-VALUE}).")
  private Path serverJar;

  @Option(
      names = "--sidecar-jvm-opts",
      defaultValue = IMAGE_JVM_OPTIONS,
      description =
          "JVM flags of the sidecars (FERRY_SIDECAR_JVM_OPTS, default: ${DEFAULT-VALUE}).")
  private String sidecarJvmOptions;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Also write the results as JSON here (FERRY_OUT).")
  private Path out;

  @Option(
      names = "--markdown",
      paramLabel = "FILE",
      description = "Also write the markdown table here (FERRY_MARKDOWN).")
  private Path markdown;

  @Option(
      names = "--html",
      paramLabel = "FILE",
      description = "Also write an HTML report with the charts of every cell (FERRY_HTML).")
  private Path html;

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description =
          "Where the sidecars' output goes (FERRY_LOG_DIR, default: a temporary directory).")
  private Path logDir;

  @Override
  public Integer call() throws Exception {
    QueueType type = queueType();
    int serverRequests = serverConcurrency != null ? serverConcurrency : highConcurrency;
    if (lowConcurrency < 1 || highConcurrency < 1 || serverRequests < 1 || bodySize < 0) {
      throw new ConfigException(
          "--low-concurrency, --high-concurrency and --server-concurrency must be 1 or more,"
              + " --body-size 0 or more");
    }
    for (Path jar : List.of(clientJar, serverJar)) {
      if (!Files.isRegularFile(jar)) {
        throw new ConfigException(jar + ": no such jar (./mvnw -q -DskipTests package)");
      }
    }
    Path logs =
        logDir != null ? Files.createDirectories(logDir) : Files.createTempDirectory("ferry-bench");
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter progress = spec.commandLine().getErr();
    List<String> jvmOptions = Arrays.asList(sidecarJvmOptions.trim().split("\\s+"));
    String service = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("machine", Machine.describe());
    setup.put("queueType", type.name().toLowerCase(Locale.ROOT));
    setup.put("bodySize", bodySize);
    setup.put("warmupSeconds", warmup.toMillis() / 1000.0);
    setup.put("durationSeconds", duration.toMillis() / 1000.0);
    setup.put("lowConcurrency", lowConcurrency);
    setup.put("highConcurrency", highConcurrency);
    setup.put("sidecarJvmOptions", String.join(" ", jvmOptions));
    setup.put("serverConcurrency", serverRequests);
    stdout.printf(
        "bench: queue type %s, %d B bodies, %s warm-up + %s per cell, callers %d and %d%n"
            + "machine: %s%nsidecar JVM flags: %s%nserver sidecar --concurrency %d%n"
            + "sidecar logs: %s%n",
        setup.get("queueType"),
        bodySize,
        warmup,
        duration,
        lowConcurrency,
        highConcurrency,
        setup.get("machine"),
        setup.get("sidecarJvmOptions"),
        serverRequests,
        logs);
    stdout.flush();

    OptionalLong broker = ProcFs.listener("beam.smp", amqpPort());
    List<Cell> cells = new ArrayList<>();
    List<SidecarFacts> sidecars = new ArrayList<>();
    try (EchoServer echo = EchoServer.start("127.0.0.1", 0);
        EchoGrpcServer echoGrpc = EchoGrpcServer.start("127.0.0.1", 0)) {
      BenchSidecar server = null;
      BenchSidecar client = null;
      try {
        server =
            BenchSidecar.start(
                "server",
                serverJar,
                jvmOptions,
                List.of(
                    "--service",
                    service,
                    "--upstream",
                    "http://127.0.0.1:" + echo.port(),
                    "--upstream-grpc",
                    "127.0.0.1:" + echoGrpc.port(),
                    "--queue-type",
                    setup.get("queueType").toString(),
                    "--concurrency",
                    Integer.toString(serverRequests)),
                amqpUri,
                logs,
                Duration.ofSeconds(60));
        int clientHttpPort = BenchSidecar.freePort();
        int clientGrpcPort = BenchSidecar.freePort();
        client =
            BenchSidecar.start(
                "client",
                clientJar,
                jvmOptions,
                List.of(
                    "--service", service,
                    "--http-host", "127.0.0.1",
                    "--http-port", Integer.toString(clientHttpPort),
                    "--grpc-port", Integer.toString(clientGrpcPort),
                    "--queue-type", setup.get("queueType").toString()),
                amqpUri,
                logs,
                Duration.ofSeconds(60));
        stdout.printf(
            "sidecars ready: server %.0f ms, client %.0f ms from spawn%n",
            server.startToReadyMillis(), client.startToReadyMillis());
        stdout.flush();
        Map<String, OptionalLong> pids = new LinkedHashMap<>();
        pids.put("client", OptionalLong.of(client.pid()));
        pids.put("server", OptionalLong.of(server.pid()));
        pids.put("broker", broker);
        Map<String, Integer> loads = new LinkedHashMap<>();
        loads.put("low", lowConcurrency);
        loads.put("high", highConcurrency);
        for (Map.Entry<String, Integer> entry : loads.entrySet()) {
          String load = entry.getKey();
          int callers = entry.getValue();
          for (Configuration configuration : Configuration.values()) {
            Cell cell =
                measure(
                    configuration,
                    load,
                    callers,
                    type,
                    echo.port(),
                    clientHttpPort,
                    clientGrpcPort,
                    pids,
                    progress);
            cells.add(cell);
            stdout.print(cell.result().summary());
            stdout.flush();
          }
        }
        sidecars.add(facts(client));
        sidecars.add(facts(server));
      } finally {
        for (BenchSidecar sidecar : new BenchSidecar[] {client, server}) {
          if (sidecar != null) {
            sidecar.close();
          }
        }
        deleteQueue(Topology.requestQueue(service));
      }
    }
    BenchReport report =
        new BenchReport(
            setup,
            cells,
            sidecars,
            Target.evaluate(BenchReport.byKey(cells), sidecars, lowConcurrency, highConcurrency),
            lowConcurrency,
            highConcurrency);
    String table = report.markdown();
    stdout.println();
    stdout.print(table);
    stdout.flush();
    write(out, Json.write(report.toMap()));
    write(markdown, table);
    write(
        html, HtmlReport.render("ferry-loadtest bench", cells.stream().map(Cell::result).toList()));
    return 0;
  }

  private Cell measure(
      Configuration configuration,
      String load,
      int callers,
      QueueType type,
      int echoPort,
      int clientHttpPort,
      int clientGrpcPort,
      Map<String, OptionalLong> pids,
      PrintWriter progress)
      throws Exception {
    Duration timeout = Duration.ofSeconds(30);
    LoadSpec loadSpec = LoadSpec.closed(callers, bodySize, warmup, duration, timeout);
    Transport transport =
        switch (configuration) {
          case DIRECT ->
              HttpTransport.open(
                  URI.create("http://127.0.0.1:" + echoPort + "/bench"), callers, timeout);
          case RAW_RPC -> new RawRpcTransport(RawRpc.start(amqpUri, type, Math.max(callers, 1)));
          case HTTP_PAIR ->
              HttpTransport.open(
                  URI.create("http://127.0.0.1:" + clientHttpPort + "/bench"), callers, timeout);
          case GRPC_PAIR ->
              GrpcTransport.open(
                  "127.0.0.1:" + clientGrpcPort,
                  GrpcTransport.DEFAULT_METHOD,
                  Math.min(callers, 4),
                  timeout);
        };
    CpuWindow cpu = new CpuWindow(pids);
    LoadResult result;
    try (transport) {
      result =
          LoadRun.run(configuration.label() + " c=" + callers, transport, loadSpec, progress, cpu);
    }
    return new Cell(configuration, load, result, cpu.microsPerRequest(result.ok()));
  }

  private static SidecarFacts facts(BenchSidecar sidecar) {
    OptionalLong kib = sidecar.peakRssKib();
    return new SidecarFacts(
        sidecar.role(),
        sidecar.startToReadyMillis(),
        kib.isPresent() ? kib.getAsLong() / 1024.0 : Double.NaN);
  }

  /** Reads the processes' CPU time as the measured window begins and ends. */
  private static final class CpuWindow implements LoadRun.Window {
    private final Map<String, OptionalLong> pids;
    private final Map<String, Long> before = new LinkedHashMap<>();
    private final Map<String, Long> used = new LinkedHashMap<>();

    CpuWindow(Map<String, OptionalLong> pids) {
      this.pids = pids;
    }

    @Override
    public void started() {
      pids.forEach(
          (name, pid) -> {
            if (pid.isPresent()) {
              ProcFs.cpuTicks(pid.getAsLong()).ifPresent(ticks -> before.put(name, ticks));
            }
          });
    }

    @Override
    public void ended() {
      before.forEach(
          (name, start) ->
              ProcFs.cpuTicks(pids.get(name).getAsLong())
                  .ifPresent(ticks -> used.put(name, ticks - start)));
    }

    Map<String, Double> microsPerRequest(long ok) {
      Map<String, Double> out = new LinkedHashMap<>();
      used.forEach((name, ticks) -> out.put(name, Cell.cpuMicrosPerRequest(ticks, ok)));
      return out;
    }
  }

  private QueueType queueType() {
    try {
      return QueueType.valueOf(queueType.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--queue-type: '" + queueType + "' (expected: quorum or classic)");
    }
  }

  private int amqpPort() {
    URI uri = URI.create(amqpUri);
    return uri.getPort() > 0 ? uri.getPort() : "amqps".equals(uri.getScheme()) ? 5671 : 5672;
  }

  /** Removes the bench's request queue (durable, so the sidecars leave it behind). */
  private void deleteQueue(String queue) {
    ConnectionFactory factory = new ConnectionFactory();
    try {
      factory.setUri(amqpUri);
      if (factory.getVirtualHost().isEmpty()) {
        factory.setVirtualHost("/");
      }
      try (Connection connection = factory.newConnection("ferry-bench-cleanup");
          Channel channel = connection.createChannel()) {
        channel.queueDelete(queue);
      }
    } catch (Exception e) {
      spec.commandLine()
          .getErr()
          .println("bench: could not delete " + queue + ": " + e.getMessage());
    }
  }

  private static void write(Path file, String text) throws IOException {
    if (file != null) {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
  }
}
