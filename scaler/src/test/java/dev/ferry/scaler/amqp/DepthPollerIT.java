package dev.ferry.scaler.amqp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import dev.ferry.scaler.load.Loads;
import dev.ferry.scaler.load.ServiceLoad;
import dev.ferry.testing.RabbitBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The depth poller lets go of the channels a missing queue's 404 closed: a connection recovery does
 * not bring them back (rabbitmq-java-client#1085), so they do not pile up until no channel number
 * is left. Counts the connection's channels broker-side, with {@code rabbitmqctl}; skipped without
 * it.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DepthPollerIT {
  private static final int MISSING_QUEUES = 6;
  private static final String CLIENT_NAME = "ferry-test-depth-poller-" + System.nanoTime();

  @RegisterExtension static final RabbitBroker broker = new RabbitBroker();

  @Test
  void channelsClosedByMissingQueuesAreNotRecovered() throws Exception {
    Assumptions.assumeTrue(
        rabbitmqctl("list_connections", "name").exitCode == 0,
        "skipped: needs rabbitmqctl for the broker at FERRY_TEST_AMQP_URI");
    Connection connection = recoveringConnection();
    AtomicInteger recoveries = new AtomicInteger();
    ((Recoverable) connection)
        .addRecoveryListener(
            new RecoveryListener() {
              @Override
              public void handleRecovery(Recoverable recoverable) {
                recoveries.incrementAndGet();
              }

              @Override
              public void handleRecoveryStarted(Recoverable recoverable) {}
            });
    Loads loads = new Loads(System::nanoTime, Duration.ofMinutes(1));
    List<CompletableFuture<Void>> readings = new ArrayList<>();
    for (int i = 0; i < MISSING_QUEUES; i++) {
      ServiceLoad load = loads.watch(broker.newService("missing" + i));
      readings.add(load.firstReading());
    }
    try {
      DepthPoller poller = new DepthPoller(connection, loads, Duration.ofMillis(100));
      poller.start();
      // Each missing queue's passive declare is answered with a 404, closing its channel.
      CompletableFuture.allOf(readings.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      poller.close(); // No poll opens a channel from now on.
      assertThat(poller.failures()).isZero();

      assertThat(
              rabbitmqctl("close_connection", brokerPid(), "ferry test: forcing recovery").exitCode)
          .isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> recoveries.get() > 0);

      // Without the fix, the channels the 404s closed come back (those with the same number but
      // one failing to).
      assertThat(channels()).isZero();
    } finally {
      connection.abort();
    }
  }

  private static Connection recoveringConnection() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(broker.uri());
    if (factory.getVirtualHost().isEmpty()) {
      factory.setVirtualHost("/");
    }
    factory.setAutomaticRecoveryEnabled(true);
    factory.setNetworkRecoveryInterval(100);
    return factory.newConnection(CLIENT_NAME);
  }

  /** The broker's process id of the connection {@link #CLIENT_NAME} names. */
  private static String brokerPid() throws InterruptedException {
    return connectionRow()[0];
  }

  private static int channels() throws InterruptedException {
    return Integer.parseInt(connectionRow()[1].trim());
  }

  /**
   * The connection's process id and channel count, broker-side (found by its client-provided name).
   */
  private static String[] connectionRow() throws InterruptedException {
    Result listed =
        rabbitmqctl(
            "list_connections", "-q", "--no-table-headers", "pid", "channels", "client_properties");
    assertThat(listed.exitCode).as(listed.output).isZero();
    for (String line : listed.output.split("\n")) {
      String[] columns = line.split("\t");
      if (columns.length >= 3 && line.contains(CLIENT_NAME)) {
        return columns;
      }
    }
    throw new AssertionError("connection " + CLIENT_NAME + " not listed: " + listed.output);
  }

  private record Result(int exitCode, String output) {}

  private static Result rabbitmqctl(String... arguments) throws InterruptedException {
    List<String> command = new ArrayList<>(List.of("rabbitmqctl"));
    command.addAll(List.of(arguments));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(-1, output);
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    }
  }
}
