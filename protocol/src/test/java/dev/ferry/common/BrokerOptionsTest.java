package dev.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import dev.ferry.testing.TestCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The broker flags as both sidecars read them: the password file, the TLS and SASL flags (carried
 * as the URI's query parameters) and the one-line exit-2 errors for bad files and combinations.
 */
class BrokerOptionsTest {
  @TempDir Path tmp;

  /** A command with only the broker flags, checked the way the sidecars' configs check them. */
  @Command(name = "probe")
  static final class Probe implements Callable<Integer> {
    @Mixin BrokerOptions broker;
    String uri;

    @Override
    public Integer call() {
      uri = broker.amqpUri();
      ConfigChecks.amqpUri(uri);
      return 0;
    }
  }

  private record Run(int status, String err, String uri) {}

  private static Run run(Map<String, String> environment, String... args) {
    Probe probe = new Probe();
    CommandLine line = Cli.commandLine(probe, environment);
    StringWriter err = new StringWriter();
    line.setErr(new PrintWriter(err));
    int status = line.execute(args);
    return new Run(status, err.toString(), probe.uri);
  }

  private static Run run(String... args) {
    return run(Map.of(), args);
  }

  private static void assertOneLineNaming(Run run, String flag, String expected) {
    assertThat(run.status()).isEqualTo(Cli.USAGE);
    assertThat(run.err()).hasLineCount(1).startsWith("probe: " + flag).contains(expected);
  }

  @Test
  void thePasswordFileReplacesTheUriPasswordWithoutItsTrailingNewline() throws Exception {
    Path file = tmp.resolve("password");
    Files.writeString(file, "s3cret pw+%:@/\n");

    Run run =
        run("--amqp-uri", "amqp://app:old@rabbit:5672/prod", "--amqp-password-file", "" + file);

    assertThat(run.status()).isZero();
    ConnectionFactory factory = AmqpConnector.factory(run.uri());
    assertThat(factory.getUsername()).isEqualTo("app");
    assertThat(factory.getPassword()).isEqualTo("s3cret pw+%:@/");
    assertThat(factory.getHost()).isEqualTo("rabbit");
    assertThat(factory.getVirtualHost()).isEqualTo("prod");
    assertThat(AmqpConnector.redact(run.uri())).isEqualTo("amqp://app:***@rabbit:5672/prod");
  }

  @Test
  void thePasswordFileComesFromItsVariableToo() throws Exception {
    Path file = tmp.resolve("password");
    Files.writeString(file, "from-env\r\n");

    Run run =
        run(
            Map.of(
                "FERRY_AMQP_URI",
                "amqp://app@rabbit/",
                "FERRY_AMQP_PASSWORD_FILE",
                file.toString()));

    assertThat(run.status()).isZero();
    assertThat(AmqpConnector.factory(run.uri()).getPassword()).isEqualTo("from-env");
  }

  @Test
  void aPasswordFileNeedsAUserInTheUri() throws Exception {
    Path file = tmp.resolve("password");
    Files.writeString(file, "secret-value\n");

    Run run = run("--amqp-uri", "amqp://rabbit/", "--amqp-password-file", file.toString());

    assertOneLineNaming(run, "--amqp-password-file", "names no user");
    assertThat(run.err()).doesNotContain("secret-value");
  }

  @Test
  void anEmptyOrMissingPasswordFileIsRefused() throws Exception {
    Path empty = tmp.resolve("empty");
    Files.writeString(empty, "\n");

    assertOneLineNaming(
        run("--amqp-uri", "amqp://app@rabbit/", "--amqp-password-file", empty.toString()),
        "--amqp-password-file",
        "is empty");
    assertOneLineNaming(
        run("--amqp-password-file", tmp.resolve("absent").toString()),
        "--amqp-password-file",
        "cannot read");
  }

  @Test
  void tlsFlagsBecomeQueryParametersThatSetUpTlsAndExternalLogin() throws Exception {
    TestCertificates pki = certificates();
    TestCertificates.Client client = pki.client("app", "ec");

    Run run =
        run(
            "--amqp-uri",
            "amqps://rabbit.example/?heartbeat=5",
            "--amqp-ca-file",
            pki.caFile().toString(),
            "--amqp-cert-file",
            client.certFile().toString(),
            "--amqp-key-file",
            client.keyFile().toString(),
            "--amqp-sasl",
            "EXTERNAL");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.uri()).contains("cacertfile=" + pki.caFile()).contains("auth_mechanism=");
    ConnectionFactory factory = AmqpConnector.factory(run.uri());
    assertThat(factory.isSSL()).isTrue();
    assertThat(factory.getPort()).isEqualTo(5671);
    assertThat(BrokerUri.parse(run.uri()).clientUri())
        .isEqualTo("amqps://rabbit.example/?heartbeat=5");
    assertThat(factory.getSaslConfig()).isSameAs(DefaultSaslConfig.EXTERNAL);
  }

  @Test
  void aFlagReplacesTheSameParameterOfTheUri() {
    Run run =
        run(
            "--amqp-uri",
            "amqps://rabbit/?auth_mechanism=external&heartbeat=5",
            "--amqp-sasl",
            "plain");

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.uri()).isEqualTo("amqps://rabbit/?heartbeat=5&auth_mechanism=plain");
  }

  @Test
  void badTlsFilesAndCombinationsEndWithOneLineNamingTheFlag() throws Exception {
    TestCertificates pki = certificates();
    TestCertificates.Client client = pki.client("app", "rsa");
    TestCertificates.Client other = pki.client("other", "rsa");
    Path garbage = tmp.resolve("garbage.pem");
    Files.writeString(garbage, "not a certificate\n");
    Path pkcs1 = tmp.resolve("pkcs1.key");
    Files.writeString(
        pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    String tls = "amqps://rabbit/";
    String ca = pki.caFile().toString();

    assertOneLineNaming(
        run("--amqp-uri", tls, "--amqp-ca-file", tmp.resolve("absent.pem").toString()),
        "--amqp-ca-file",
        "cannot read");
    assertOneLineNaming(
        run("--amqp-uri", tls, "--amqp-ca-file", garbage.toString()),
        "--amqp-ca-file",
        "not a PEM certificate file");
    assertOneLineNaming(
        run("--amqp-uri", "amqp://rabbit/", "--amqp-ca-file", ca),
        "--amqp-ca-file",
        "expected: an amqps:// broker URI");
    assertOneLineNaming(
        run("--amqp-uri", tls, "--amqp-cert-file", client.certFile().toString()),
        "--amqp-cert-file",
        "given alone");
    assertOneLineNaming(
        run(
            "--amqp-uri",
            tls,
            "--amqp-cert-file",
            client.certFile().toString(),
            "--amqp-key-file",
            pkcs1.toString()),
        "--amqp-key-file",
        "no unencrypted PKCS#8 key");
    assertOneLineNaming(
        run(
            "--amqp-uri",
            tls,
            "--amqp-cert-file",
            client.certFile().toString(),
            "--amqp-key-file",
            other.keyFile().toString()),
        "--amqp-key-file",
        "not the key of the certificate");
    assertOneLineNaming(
        run("--amqp-uri", tls, "--amqp-sasl", "external"),
        "--amqp-sasl",
        "expected: an amqps:// URI with --amqp-cert-file");
    assertOneLineNaming(
        run("--amqp-uri", tls, "--amqp-sasl", "kerberos"),
        "--amqp-sasl",
        "expected: one of plain, external");
  }

  @Test
  void readsPkcs8RsaAndEcKeys() throws Exception {
    for (String algorithm : new String[] {"RSA", "EC"}) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      PrivateKey key = generator.generateKeyPair().getPrivate();
      Path file = tmp.resolve(algorithm + ".key");
      Files.writeString(
          file,
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(key.getEncoded())
              + "\n-----END PRIVATE KEY-----\n");

      PrivateKey read = BrokerTls.privateKey(file);

      assertThat(read.getAlgorithm()).isEqualTo(algorithm);
      assertThat(read.getEncoded()).isEqualTo(key.getEncoded());
    }
  }

  private TestCertificates certificates() throws IOException {
    Assumptions.assumeTrue(
        TestCertificates.opensslAvailable(), "skipped: makes its test certificates with openssl");
    return TestCertificates.create(tmp.resolve("pki"));
  }
}
