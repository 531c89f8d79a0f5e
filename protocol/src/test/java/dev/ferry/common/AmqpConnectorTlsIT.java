package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.impl.NetworkConnection;
import dev.ferry.testing.OwnedBroker;
import dev.ferry.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AmqpConnector} against a RabbitMQ node of this test's own with a TLS listener: the broker
 * URI is built from the sidecars' flags ({@link BrokerOptions}), and what the broker says about
 * each connection ({@code rabbitmqctl list_connections}) is checked, not only that it opened. A
 * refused handshake or login ends {@code connect()} at once with a message naming what to check.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AmqpConnectorTlsIT {
  /** Refusals end connect() this fast: no retry loop (which would wait forever). */
  private static final Duration REFUSED_WITHIN = Duration.ofSeconds(10);

  @RegisterExtension static final OwnedBroker broker = new OwnedBroker();

  @TempDir Path tmp;

  @Test
  void connectsOverTlsTrustingTheCaFile() throws Exception {
    String uri =
        uri("--amqp-uri", broker.tlsUri(), "--amqp-ca-file", broker.certificates().caFile());

    try (AmqpConnector connector = new AmqpConnector(uri, "ferry-tls-test")) {
      Connection connection = connector.connect();

      assertThat(seenByBroker(connection))
          .containsEntry("user", "guest")
          .containsEntry("ssl", "true")
          .containsEntry("auth_mechanism", "PLAIN");
      assertThat(seenByBroker(connection).get("ssl_protocol")).isIn("tlsv1.3", "tlsv1.2");
      assertThat(connector.isUsable()).isTrue();
    }
  }

  @Test
  void refusesABrokerCertificateSignedByAnotherCa() throws Exception {
    TestCertificates other = TestCertificates.create(tmp.resolve("other-pki"));
    String uri = uri("--amqp-uri", broker.tlsUri(), "--amqp-ca-file", other.caFile());

    assertRefused(uri, "broker TLS handshake failed", "--amqp-ca-file");
  }

  @Test
  void refusesABrokerCertificateThatDoesNotNameTheHost() throws Exception {
    // The broker's certificate names localhost only; the address is right, the name is not.
    String uri =
        uri(
            "--amqp-uri",
            broker.tlsUri().replace("localhost", "127.0.0.1"),
            "--amqp-ca-file",
            broker.certificates().caFile());

    assertRefused(uri, "broker TLS handshake failed", "subject alternative names");
  }

  @Test
  void logsInWithTheClientCertificateOverSaslExternal() throws Exception {
    TestCertificates.Client client = broker.externalClient();
    String uri =
        uri(
            "--amqp-uri",
            "amqps://localhost:" + broker.tlsPort() + "/",
            "--amqp-ca-file",
            broker.certificates().caFile(),
            "--amqp-cert-file",
            client.certFile(),
            "--amqp-key-file",
            client.keyFile(),
            "--amqp-sasl",
            "external");

    try (AmqpConnector connector = new AmqpConnector(uri, "ferry-external-test")) {
      Connection connection = connector.connect();

      assertThat(seenByBroker(connection))
          .containsEntry("user", OwnedBroker.EXTERNAL_USER)
          .containsEntry("ssl", "true")
          .containsEntry("auth_mechanism", "EXTERNAL");
    }
  }

  @Test
  void refusesAnExternalLoginForACertificateOfNoUser() throws Exception {
    TestCertificates.Client stranger = broker.certificates().client("nobody-here", "rsa");
    String uri =
        uri(
            "--amqp-uri",
            "amqps://localhost:" + broker.tlsPort() + "/",
            "--amqp-ca-file",
            broker.certificates().caFile(),
            "--amqp-cert-file",
            stranger.certFile(),
            "--amqp-key-file",
            stranger.keyFile(),
            "--amqp-sasl",
            "external");

    assertRefused(uri, "broker refused the login", "--amqp-sasl");
  }

  @Test
  void takesThePasswordFromTheFile() throws Exception {
    String user = "ferry-pw-" + System.nanoTime();
    String password = "p@ss w+rd%/:?";
    broker.rabbitmqctl("add_user", user, password);
    broker.rabbitmqctl("set_permissions", "-p", "/", user, ".*", ".*", ".*");
    Path passwordFile = tmp.resolve("password");
    Files.writeString(passwordFile, password + "\n");
    String uri =
        uri(
            "--amqp-uri",
            "amqp://" + user + ":not-this-one@127.0.0.1:" + broker.amqpPort() + "/",
            "--amqp-password-file",
            passwordFile);

    try (AmqpConnector connector = new AmqpConnector(uri, "ferry-password-test")) {
      Connection connection = connector.connect();

      assertThat(seenByBroker(connection)).containsEntry("user", user);
      assertThat(connector.redactedUri()).doesNotContain("p@ss").contains(user + ":***@");
    }
  }

  @Test
  void aWrongPasswordFromTheFileEndsConnectAtOnce() throws Exception {
    Path passwordFile = tmp.resolve("password");
    Files.writeString(passwordFile, "wrong-password\n");
    String uri =
        uri(
            "--amqp-uri",
            "amqp://guest@127.0.0.1:" + broker.amqpPort() + "/",
            "--amqp-password-file",
            passwordFile);

    assertRefused(uri, "broker refused the login", "guest:***@");
  }

  private static void assertRefused(String uri, String... expected) {
    try (AmqpConnector connector = new AmqpConnector(uri, "ferry-refused-test")) {
      long started = System.nanoTime();
      assertThatThrownBy(connector::connect)
          .isInstanceOf(IOException.class)
          .message()
          .contains(expected)
          .doesNotContain(":guest@", "wrong-password");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(REFUSED_WITHIN);
    }
  }

  /** The broker URI the sidecars build from {@code args} (their broker flags). */
  private static String uri(Object... args) {
    BrokerOptions options = new BrokerOptions();
    String[] strings = new String[args.length];
    for (int i = 0; i < args.length; i++) {
      strings[i] = args[i].toString();
    }
    Cli.commandLine(options, Map.of()).parseArgs(strings);
    return options.amqpUri();
  }

  /** What {@code rabbitmqctl list_connections} says about {@code connection}. */
  private static Map<String, String> seenByBroker(Connection connection) {
    String port = Integer.toString(((NetworkConnection) connection).getLocalPort());
    String[] columns = {"peer_port", "user", "ssl", "ssl_protocol", "auth_mechanism"};
    return await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              String[] args = new String[columns.length + 3];
              args[0] = "list_connections";
              args[1] = "--quiet";
              args[2] = "--no-table-headers";
              System.arraycopy(columns, 0, args, 3, columns.length);
              for (String line : broker.rabbitmqctl(args).split("\n")) {
                String[] values = line.trim().split("\t");
                if (values.length == columns.length && values[0].equals(port)) {
                  return Map.of(
                      "user", values[1],
                      "ssl", values[2],
                      "ssl_protocol", values[3],
                      "auth_mechanism", values[4]);
                }
              }
              return null;
            },
            seen -> seen != null);
  }
}
