package dev.ferry.testing;

import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real RabbitMQ node owned by one test class, which may stop and start it: this machine's
 * RabbitMQ run as a child process ({@code rabbitmq-server} in the foreground) with a node name,
 * ports, Erlang cookie, data and logs of its own under a temporary directory, so the shared broker
 * and the system node are never touched. It listens on 127.0.0.1 only: AMQP ({@link #uri()},
 * guest/guest) and AMQPS ({@link #tlsUri()}) with a test CA ({@link #certificates()}), peer
 * verification, optional client certificates, and SASL PLAIN or EXTERNAL (the user is the client
 * certificate's common name; {@link #externalClient()} names {@link #EXTERNAL_USER}).
 *
 * <p>Register with {@code @RegisterExtension static final OwnedBroker broker = new OwnedBroker();}:
 * it starts before the class's tests (a few seconds) and is stopped and deleted after them; it
 * stops also when the test JVM ends without that, even killed. Without {@code rabbitmq-server},
 * {@code rabbitmqctl} or {@code openssl} the class's tests are skipped with a message saying so.
 * Thread-safe.
 */
public final class OwnedBroker implements BeforeAllCallback, AfterAllCallback {
  /** The user {@link #externalClient()}'s certificate names: no password, all permissions on /. */
  public static final String EXTERNAL_USER = "ferry-external";

  private static final Logger logger = LoggerFactory.getLogger(OwnedBroker.class);
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final long CLI_TIMEOUT_SECONDS = 120;
  private static final Duration ALARM_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Ports are taken from here: below the kernel's ephemeral range, so that no outgoing connection
   * holds one, and below 20000, so that none falls in the range RabbitMQ's CLI tools bind for
   * themselves (the node's distribution port + 10000 to + 10010).
   */
  private static final int PORT_LOW = 10_000;

  private static final int PORT_HIGH = 20_000;

  /**
   * Runs {@code rabbitmq-server} ({@code $0}) and stops it (SIGTERM: a clean stop) once its stdin,
   * a pipe from this JVM, closes: when {@link #stop()} closes it, or when the JVM ends in any way,
   * killed included, so that no node outlives its test. Exits when the server does.
   */
  private static final String WATCHDOG =
      "exec 3<&0; \"$0\" </dev/null & server=$!;"
          + " { read -r _ <&3; kill -TERM $server 2>/dev/null; } & wait $server";

  private Path sbin;
  private Path dir;
  private TestCertificates certificates;
  private TestCertificates.Client externalClient;
  private String node;
  private int amqpPort;
  private int tlsPort;
  private int distPort;
  private Process process;
  private Thread shutdownHook;
  private boolean userCreated;

  @Override
  public synchronized void beforeAll(ExtensionContext context) throws Exception {
    Path found = locate();
    Assumptions.assumeTrue(
        found != null,
        "skipped: this test starts a RabbitMQ node of its own and needs rabbitmq-server and"
            + " rabbitmqctl (Debian: apt-get install rabbitmq-server; elsewhere put RabbitMQ's"
            + " sbin directory on PATH)");
    Assumptions.assumeTrue(
        TestCertificates.opensslAvailable(),
        "skipped: this test makes its TLS certificates with openssl, which is not installed");
    sbin = found;
    dir = Files.createTempDirectory("ferry-broker-");
    node = "ferry-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "@localhost";
    certificates = TestCertificates.create(dir.resolve("pki"));
    externalClient = certificates.client(EXTERNAL_USER, "ec");
    for (String sub : List.of("home", "mnesia", "log")) {
      Files.createDirectories(dir.resolve(sub));
    }
    // Its own empty env file: not the machine's /etc/rabbitmq/rabbitmq-env.conf (NODENAME etc.).
    Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
    Files.writeString(dir.resolve("enabled_plugins"), "[rabbitmq_auth_mechanism_ssl].\n");
    startOnFreePorts();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  /** The AMQP URI, {@code amqp://guest:guest@127.0.0.1:PORT/}. */
  public String uri() {
    return "amqp://guest:guest@127.0.0.1:" + amqpPort + "/";
  }

  /** The AMQPS URI, {@code amqps://guest:guest@localhost:PORT/}: the name the certificate has. */
  public String tlsUri() {
    return "amqps://guest:guest@localhost:" + tlsPort + "/";
  }

  public int amqpPort() {
    return amqpPort;
  }

  public int tlsPort() {
    return tlsPort;
  }

  /** The node's name, e.g. {@code ferry-test-1a2b3c@localhost}. */
  public String node() {
    return node;
  }

  /** The test PKI: its CA signed the broker's certificate; it makes more client certificates. */
  public TestCertificates certificates() {
    return certificates;
  }

  /** A client certificate (EC key) for {@link #EXTERNAL_USER}. */
  public TestCertificates.Client externalClient() {
    return externalClient;
  }

  /**
   * Starts the node again after {@link #stop()}, with the same name, ports and data (durable queues
   * and their persistent messages survive); returns once it accepts connections.
   */
  public synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("RabbitMQ node " + node + " runs already");
    }
    long started = System.nanoTime();
    ProcessBuilder builder =
        new ProcessBuilder("sh", "-c", WATCHDOG, sbin.resolve("rabbitmq-server").toString())
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(dir.resolve("log").resolve("console.log").toFile()));
    environment(builder.environment());
    process = builder.start();
    if (shutdownHook == null) {
      // A JVM that ends without afterAll (e.g. killed by a timeout) leaves no node behind.
      shutdownHook = new Thread(this::kill, "owned-broker-cleanup");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
    awaitStartup();
    if (!userCreated) {
      rabbitmqctl("add_user", EXTERNAL_USER, Long.toHexString(System.nanoTime()));
      rabbitmqctl("clear_password", EXTERNAL_USER);
      rabbitmqctl("set_permissions", "-p", "/", EXTERNAL_USER, ".*", ".*", ".*");
      userCreated = true;
    }
    logger.info(
        "owned RabbitMQ node {} up in {} ms amqp_port={} tls_port={}",
        node,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        amqpPort,
        tlsPort);
  }

  /**
   * Stops the whole node cleanly ({@code rabbitmqctl stop}; the process is killed if that does not
   * end it in time) and returns once its process has exited and its ports refuse connections.
   */
  public synchronized void stop() throws IOException {
    if (process == null || !process.isAlive()) {
      return;
    }
    long started = System.nanoTime();
    List<ProcessHandle> tree = process.descendants().toList();
    CliResult result = run("stop");
    if (result.status() != 0) {
      logger.warn("rabbitmqctl stop failed, terminating the node: {}", result.output());
    }
    closeInput(process); // Ends the watchdog; a node still running gets SIGTERM from it.
    if (!waitFor(process, STOP_TIMEOUT)) {
      logger.warn("RabbitMQ node {} still runs after rabbitmqctl stop, terminating it", node);
      kill();
    }
    for (ProcessHandle child : tree) {
      if (child.isAlive() && !waitFor(child, Duration.ofSeconds(10))) {
        child.destroyForcibly();
      }
    }
    if (accepts(amqpPort) || accepts(tlsPort)) {
      throw new IllegalStateException("RabbitMQ node " + node + " stopped but still accepts");
    }
    logger.info(
        "owned RabbitMQ node {} stopped in {} ms",
        node,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /**
   * Stops the RabbitMQ application but not the Erlang node ({@code rabbitmqctl stop_app}): every
   * connection is closed and the listeners refuse new ones, as in a broker restart, only faster.
   */
  public void stopApp() throws IOException {
    rabbitmqctl("stop_app");
  }

  /** Starts the RabbitMQ application again and returns once it accepts connections. */
  public void startApp() throws IOException {
    rabbitmqctl("start_app");
    rabbitmqctl("await_startup");
  }

  /**
   * Raises a memory alarm ({@code set_vm_memory_high_watermark 0.0000001}) and returns once the
   * node reports it ({@code rabbitmq-diagnostics check_local_alarms}): from then on the node blocks
   * every connection that publishes.
   */
  public void raiseMemoryAlarm() throws IOException {
    rabbitmqctl("set_vm_memory_high_watermark", "0.0000001");
    awaitLocalAlarms(true);
  }

  /** Clears the memory alarm (watermark back to 0.4) and returns once the node reports none. */
  public void clearMemoryAlarm() throws IOException {
    rabbitmqctl("set_vm_memory_high_watermark", "0.4");
    awaitLocalAlarms(false);
  }

  private void awaitLocalAlarms(boolean raised) {
    await()
        .atMost(ALARM_TIMEOUT)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                (cli("rabbitmq-diagnostics", "-q", "check_local_alarms").status() != 0) == raised);
  }

  /** Runs {@code rabbitmqctl -n NODE args}; returns its output, or throws when it fails. */
  public String rabbitmqctl(String... args) throws IOException {
    CliResult result = run(args);
    if (result.status() != 0) {
      throw new IOException(
          "rabbitmqctl "
              + String.join(" ", args)
              + ": exit status "
              + result.status()
              + ": "
              + result.output());
    }
    return result.output();
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A new plain AMQP connection as guest, for the test's own use; the caller closes it. */
  public Connection newConnection() throws IOException, TimeoutException {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(amqpPort);
    factory.setAutomaticRecoveryEnabled(false);
    return factory.newConnection("ferry-owned-broker-test");
  }

  private synchronized void close() throws IOException {
    try {
      if (process != null && process.isAlive()) {
        stop();
      }
    } finally {
      if (shutdownHook != null) {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
        shutdownHook = null;
      }
      if (dir != null) {
        deleteRecursively(dir);
      }
    }
  }

  /** The first start; tries other ports when the chosen ones were taken meanwhile. */
  private void startOnFreePorts() throws IOException {
    for (int attempt = 1; ; attempt++) {
      choosePorts();
      writeConfig();
      try {
        start();
        return;
      } catch (IOException e) {
        kill();
        if (attempt == 3 || !portTaken(e.getMessage())) {
          throw e;
        }
        logger.info("owned RabbitMQ node: a port was taken, trying others");
        deleteRecursively(dir.resolve("mnesia"));
        Files.createDirectories(dir.resolve("mnesia"));
      }
    }
  }

  private static boolean portTaken(String bootFailure) {
    return bootFailure != null
        && (bootFailure.contains("eaddrinuse")
            || bootFailure.contains("dist_port_already_used")
            || bootFailure.contains("could not bind"));
  }

  private void awaitStartup() throws IOException {
    try {
      await()
          .atMost(BOOT_TIMEOUT)
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IOException(
                      "RabbitMQ node "
                          + node
                          + " exited while starting; its console output ends with: "
                          + consoleTail());
                }
                // Fails at once while the node is not registered yet, then waits for its boot.
                return run("await_startup", "--timeout", "30").status() == 0;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      kill();
      throw new IOException(
          "RabbitMQ node " + node + " did not start in " + BOOT_TIMEOUT + ": " + consoleTail());
    }
  }

  private void environment(Map<String, String> environment) {
    environment.keySet().removeIf(name -> name.startsWith("RABBITMQ_") || name.startsWith("ERL_"));
    // Its own HOME: its own Erlang cookie, created at the first start and read by rabbitmqctl.
    environment.put("HOME", dir.resolve("home").toString());
    environment.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
    environment.put("RABBITMQ_NODENAME", node);
    environment.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
    environment.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    environment.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    environment.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
    environment.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    environment.put(
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}");
    environment.put("ERL_EPMD_ADDRESS", "127.0.0.1");
  }

  private void writeConfig() throws IOException {
    // The AMQP listener is set here only (no RABBITMQ_NODE_PORT, which would add a second one).
    String config =
        String.join(
            "\n",
            "listeners.tcp.1 = 127.0.0.1:" + amqpPort,
            "listeners.ssl.1 = 127.0.0.1:" + tlsPort,
            "ssl_options.cacertfile = " + certificates.caFile(),
            "ssl_options.certfile = " + certificates.serverCertFile(),
            "ssl_options.keyfile = " + certificates.serverKeyFile(),
            "ssl_options.verify = verify_peer",
            "ssl_options.fail_if_no_peer_cert = false",
            "auth_mechanisms.1 = PLAIN",
            "auth_mechanisms.2 = EXTERNAL",
            "ssl_cert_login_from = common_name",
            "");
    Files.writeString(dir.resolve("rabbitmq.conf"), config);
  }

  private void choosePorts() {
    Set<Integer> chosen = new HashSet<>();
    int high = Math.min(PORT_HIGH, ephemeralLow());
    while (chosen.size() < 3) {
      int port = ThreadLocalRandom.current().nextInt(PORT_LOW, high);
      if (!chosen.contains(port) && bindable(port)) {
        chosen.add(port);
      }
    }
    List<Integer> ports = new ArrayList<>(chosen);
    amqpPort = ports.get(0);
    tlsPort = ports.get(1);
    distPort = ports.get(2);
  }

  private static int ephemeralLow() {
    // Read line by line: Files.readString reads procfs files short.
    try (BufferedReader reader =
        Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private record CliResult(int status, String output) {}

  private CliResult run(String... args) throws IOException {
    return cli("rabbitmqctl", args);
  }

  private CliResult cli(String tool, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(sbin.resolve(tool).toString()));
    command.add("-n");
    command.add(node);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    environment(builder.environment());
    Process cli = builder.start();
    String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!cli.waitFor(CLI_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        cli.destroyForcibly();
        throw new IOException(tool + " " + String.join(" ", args) + " did not finish");
      }
    } catch (InterruptedException e) {
      cli.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return new CliResult(cli.exitValue(), output.trim());
  }

  /** Ends the node's processes at once: the script, the Erlang VM and its helpers. */
  private void kill() {
    Process current = process;
    if (current == null) {
      return;
    }
    List<ProcessHandle> tree = current.descendants().toList();
    tree.forEach(ProcessHandle::destroyForcibly);
    current.destroyForcibly();
    closeInput(current);
    waitFor(current, Duration.ofSeconds(10));
  }

  private static void closeInput(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      logger.debug("closing the node's stdin failed", e);
    }
  }

  private static boolean waitFor(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean waitFor(ProcessHandle handle, Duration timeout) {
    try {
      handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      return false;
    }
  }

  private String consoleTail() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("log").resolve("console.log"));
      List<String> tail = lines.subList(Math.max(0, lines.size() - 15), lines.size());
      return String.join("\n", tail);
    } catch (IOException e) {
      return "(no console output: " + e.getMessage() + ")";
    }
  }

  /**
   * The directory holding {@code rabbitmq-server} and {@code rabbitmqctl}: Debian's {@code
   * /usr/lib/rabbitmq/bin} first (its {@code /usr/sbin} scripts are wrappers that switch to the
   * rabbitmq user, who could not use this node's files), then the directories on PATH.
   */
  static Path locate() {
    List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/lib/rabbitmq/bin")));
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(java.io.File.pathSeparator)) {
        if (!entry.isEmpty()) {
          candidates.add(Path.of(entry));
        }
      }
    }
    for (Path candidate : candidates) {
      if (Files.isExecutable(candidate.resolve("rabbitmq-server"))
          && Files.isExecutable(candidate.resolve("rabbitmqctl"))) {
        return candidate;
      }
    }
    return null;
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(OwnedBroker::deleteQuietly);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      logger.debug("cannot delete {}", path, e);
    }
  }
}
